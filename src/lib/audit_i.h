/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_i.h - the audit sink: syslog records and JSON lines (audit.c).
 */
#ifndef VOUCH_AUDIT_I_H
#define VOUCH_AUDIT_I_H

#include "vouch_i.h"

struct vouch_audit;

struct vouch_event {
	const char *decision;     /* "allow" | "deny" */
	enum vouch_cause cause;
	enum vouch_mode mode;
	int         priority;     /* LOG_ALERT for a failed verification, else LOG_INFO */
	const char *path;
	dev_t       dev;
	ino_t       ino;
	uint64_t    size;
	pid_t       pid;
	uid_t       uid;
	const char *comm;
	const char *model;
	uint64_t    version;
	const char *keyid;
	const char *signers;      /* every signature seen and whether it counted */
	double      elapsed_ms;
	bool        cached;       /* repeats a verdict made earlier (verdict cache) */
	bool        reused;       /* decided again (a reload), the file not hashed again */
	bool        receipt;      /* not hashed: a receipt from an earlier process (receipts = yes) */
	bool        streamed;     /* not hashed at open: checked as it is read (verify = stream) */
	const char *detail;
};

/* json_path may be NULL.  optional: a JSON log this process cannot open is
 * reported once to syslog instead of failing (the shim, as www-data). */
int  vouch_audit_new(const char *json_path, bool optional, struct vouch_audit **out,
		     char *err, size_t errlen);
void vouch_audit_free(struct vouch_audit *a);
void vouch_audit_record(struct vouch_audit *a, const struct vouch_event *e);
/* Append s to buf[*len..cap) as a record field value: bare when harmless,
 * else quoted with \" \\ and \xHH, so a file name cannot forge a field;
 * json: always quoted, a valid JSON string. */
void vouch_audit_put_value(char *buf, size_t cap, size_t *len, const char *s, bool json);
void vouch_audit_msg(struct vouch_audit *a, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Is delivery failing right now: the queue full, or every sink in a failure
 * episode (see audit.c)?  why receives one line saying which. */
bool vouch_audit_failing(struct vouch_audit *a, char *why, size_t whylen);
/* Records lost since the sink was made: dropped from a full queue, or not
 * taken by a sink. */
unsigned long vouch_audit_lost(struct vouch_audit *a);
/* Wait (at most timeout_ms) until every queued record was handed to the
 * sinks: a process about to exit. */
void vouch_audit_drain(struct vouch_audit *a, int timeout_ms);
/* audit_failure = deny engaged: say why on stderr, once per episode. */
void vouch_audit_failclosed(struct vouch_audit *a, const char *why);

#endif
