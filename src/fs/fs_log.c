/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fs_log.c - vouchfs's log line.
 *
 * Layer: the bottom.  Every other file of vouchfs calls vouchfs_log(); this
 * file calls nothing of theirs (vouchfs_i.h has the map).  It reads one
 * flag of struct vouchfs and writes none.
 */
#include "vouchfs_i.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

void vouchfs_log(const struct vouchfs *fs, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* Under systemd stderr goes to the journal; a daemon has no stderr
	 * (vouchfs.c sets the flag when it lets go of it). */
	if (atomic_load(&fs->daemonized))
		syslog(LOG_DAEMON | LOG_WARNING, "vouchfs: %s", line);
	else
		fprintf(stderr, "vouchfs: %s\n", line);
}
