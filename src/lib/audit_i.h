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
	double      elapsed_ms;
	bool        cached;       /* repeats a verdict made earlier (verdict cache) */
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

#endif
