/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_mountinfo.c - libFuzzer harness for locate.c: the mount table parser
 * (the static parse_mountinfo, parse_line, unescape) with what is built on
 * it (mtab_build's prefixes, mount_class, match_prefix), and the lexical
 * normalisation of the name a program asked for (path_normalize,
 * lexical_rel).  locate.c reads /proc/self/mountinfo through a raw
 * syscall(SYS_openat, ...) (inside the shim libc's open is the shim's), so
 * this harness defines syscall() itself: an openat of that one path opens
 * the input instead, everything else goes to libc's.  Then, per input:
 * vouch_locator_new (one protected root, ROOT, in the harness's private
 * temp dir), and vouch_locate of ROOT/f by the name asked for, of a hard
 * link to ROOT/sub/g from outside the root with no name, and of ROOT/f with
 * the name as another process (ourselves) would pass it.
 *
 * Input: the mountinfo text, then (after the first NUL, if any) the name
 * asked for.  So that seeds do not depend on this machine, these tokens in
 * the input are replaced first: @ID@ the mount id of the temp dir's mount,
 * @DEV@ its major:minor, @MNT@ its mount point, @DIR@ the temp dir.
 *
 * Checks: a protected location has a root index; when it is the name asked
 * for (named) that name is normalised (relative; no empty, "." or ".."
 * component) and ROOT + "/" + rel is the absolute path recorded; when it
 * was found through the mount table and every root and mount point of the
 * table is itself a normalised absolute path (as the kernel writes them),
 * the name is normalised too (from a table the kernel never writes it can
 * be anything, even absolute: verify.c refuses such a name).  The locator
 * never leaks (LSan) and no descriptor stays open.
 */
#include "vouch.h"
#include "fuzz_common.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static long (*real_syscall)(long, ...);
static char mi_file[1200];
static bool mi_active;

/* Five arguments: all libvouch passes (openat, openat2 take four), and all
 * that arrive in registers (a sixth would be read from the caller's stack,
 * past what it pushed). */
long syscall(long n, ...)
{
	va_list ap;
	long a[5];

	va_start(ap, n);
	for (int i = 0; i < 5; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (!real_syscall)
		real_syscall = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	if (n == SYS_openat && mi_active && a[1] &&
	    !strcmp((const char *)a[1], "/proc/self/mountinfo"))
		return real_syscall(SYS_openat, AT_FDCWD, mi_file, a[2], 0);
	return real_syscall(n, a[0], a[1], a[2], a[3], a[4]);
}

static char root[1200], file_f[1300], outside[1300];
static char tok_id[16], tok_dev[32], tok_mnt[4096], tok_dir[1100];
static int fd_f = -1, fd_h = -1;

/* The mount the temp dir lives on, from the real mount table. */
static void learn_mount(void)
{
	struct statx sx;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192];

	if (statx(AT_FDCWD, fz_tmpdir(), 0, STATX_BASIC_STATS | 0x1000U /* STATX_MNT_ID */, &sx))
		abort();
	snprintf(tok_id, sizeof(tok_id), "%llu", (unsigned long long)sx.stx_mnt_id);
	snprintf(tok_dev, sizeof(tok_dev), "%u:%u", sx.stx_dev_major, sx.stx_dev_minor);
	snprintf(tok_mnt, sizeof(tok_mnt), "/");
	while (f && fgets(line, sizeof(line), f)) {
		char point[4096];
		unsigned long long id;

		if (sscanf(line, "%llu %*d %*s %*s %4095s", &id, point) == 2 && id == sx.stx_mnt_id)
			snprintf(tok_mnt, sizeof(tok_mnt), "%s", point);
	}
	if (f)
		fclose(f);
}

static void setup(void)
{
	char p[1300];

	vouch_init();
	snprintf(tok_dir, sizeof(tok_dir), "%s", fz_tmpdir());
	fz_path(mi_file, sizeof(mi_file), "mountinfo");
	fz_path(root, sizeof(root), "root");
	fz_mkdir(root, 0755);
	snprintf(p, sizeof(p), "%s/sub", root);
	fz_mkdir(p, 0755);
	snprintf(file_f, sizeof(file_f), "%s/f", root);
	fz_write(file_f, "f", 1, 0644);
	snprintf(p, sizeof(p), "%s/sub/g", root);
	fz_write(p, "g", 1, 0644);
	fz_path(outside, sizeof(outside), "h");
	if (link(p, outside) < 0)
		abort();
	fd_f = open(file_f, O_RDONLY | O_CLOEXEC);
	fd_h = open(outside, O_RDONLY | O_CLOEXEC);
	if (fd_f < 0 || fd_h < 0)
		abort();
	learn_mount();
}

/* The input with the tokens replaced (malloc'd). */
static char *expand(const uint8_t *p, size_t n, size_t *outlen)
{
	static const struct { const char *tok; const char *val; } t[] = {
		{ "@ID@", tok_id }, { "@DEV@", tok_dev }, { "@MNT@", tok_mnt }, { "@DIR@", tok_dir },
	};
	size_t cap = n * 2 + 64, o = 0;
	char *out = malloc(cap);

	if (!out)
		abort();
	for (size_t i = 0; i < n;) {
		size_t k;

		for (k = 0; k < 4; k++) {
			size_t tl = strlen(t[k].tok);

			if (n - i >= tl && !memcmp(p + i, t[k].tok, tl))
				break;
		}
		const char *s = k < 4 ? t[k].val : (const char *)p + i;
		size_t sl = k < 4 ? strlen(t[k].val) : 1;

		if (o + sl + 1 > cap) {
			cap = (o + sl + 1) * 2;
			if (!(out = realloc(out, cap)))
				abort();
		}
		memcpy(out + o, s, sl);
		o += sl;
		i += k < 4 ? strlen(t[k].tok) : 1;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

static bool normalised_rel(const char *r)
{
	if (!*r)
		return true;            /* the root itself */
	if (*r == '/')
		return false;
	for (const char *c = r;;) {
		const char *e = strchrnul(c, '/');
		size_t n = (size_t)(e - c);

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (!*e)
			return true;
		c = e + 1;
	}
}

/* As the kernel writes a mount table: every root and mount point (after
 * unescaping \ooo) absolute and normalised. */
static bool table_canonical(const char *text)
{
	for (const char *line = text; *line;) {
		const char *nl = strchrnul(line, '\n');
		const char *p = line;
		int k = 0;

		while (p < nl && k < 5) {
			while (p < nl && *p == ' ')
				p++;
			const char *s = p;
			while (p < nl && *p != ' ')
				p++;
			if (p == s)
				break;
			if (k >= 3) {
				char buf[8192];
				size_t o = 0;

				for (const char *q = s; q < p && o + 1 < sizeof(buf); q++) {
					if (q[0] == '\\' && p - q >= 4 && q[1] >= '0' && q[1] <= '3' &&
					    q[2] >= '0' && q[2] <= '7' && q[3] >= '0' && q[3] <= '7') {
						buf[o++] = (char)((q[1] - '0') << 6 | (q[2] - '0') << 3 | (q[3] - '0'));
						q += 3;
					} else {
						buf[o++] = *q;
					}
				}
				buf[o] = '\0';
				if (buf[0] != '/' || (buf[1] && !normalised_rel(buf + 1)) ||
				    memchr(buf, '\0', o))
					return false;
			}
			k++;
		}
		line = *nl ? nl + 1 : nl;
	}
	return true;
}

/* mtab_build indexes mounts by id in a dense array (max id + 1 entries): an
 * id near INT_MAX asks for 8 GiB (see the fuzzing report).  The kernel
 * hands out small ids, so inputs with an id above 2^16 are not run. */
static bool ids_small(const char *text)
{
	for (const char *line = text; *line;) {
		const char *nl = strchrnul(line, '\n');

		if (atoi(line) > 65536)
			return false;
		line = *nl ? nl + 1 : nl;
	}
	return true;
}

static bool table_ok;           /* the input table is kernel-like (table_canonical) */

static void bad(const struct vouch_location *w, const char *why)
{
	fprintf(stderr, "fuzz_mountinfo: %s: kind %d named %d root %d rel \"%s\" path \"%s\""
		" (table %s)\n", why, (int)w->kind, (int)w->named, w->root, w->rel, w->path,
		table_ok ? "kernel-like" : "not kernel-like");
	abort();
}

static void check(const struct vouch_location *w, struct vouch_locator *L, bool canonical)
{
	if (w->kind != VOUCH_WHERE_FREE && w->kind != VOUCH_WHERE_PROTECTED &&
	    w->kind != VOUCH_WHERE_UNKNOWN)
		abort();
	if (w->kind != VOUCH_WHERE_PROTECTED)
		return;
	if (w->root != 0)
		bad(w, "protected, but under no root");
	if (w->named) {
		const char *rp = vouch_locator_root_path(L, 0);
		size_t n = strlen(w->path), rl;

		if (!normalised_rel(w->rel) || w->path[0] != '/')
			bad(w, "named, but rel is not normalised");
		/* path = the root (as configured or where it really is) + rel */
		if (w->rel[0]) {
			rl = strlen(w->rel);
			if (n <= rl || strcmp(w->path + n - rl, w->rel) || w->path[n - rl - 1] != '/')
				bad(w, "named, but path does not end in rel");
			n -= rl + 1;
		}
		if (!((n == strlen(rp) && !strncmp(w->path, rp, n)) || (n == strlen(root) &&
		      !strncmp(w->path, root, n)) || (n == 0 && !strcmp(rp, "/"))))
			bad(w, "named, but path is not the root + rel");
	} else if (canonical && !normalised_rel(w->rel)) {
		/* Tables the kernel never writes (a root "/x//", a point with
		 * "..") give garbage names, which verify.c's vouch_path_ok
		 * refuses; a kernel-like one must give a clean name. */
		bad(w, "found through a kernel-like table, but rel is not normalised");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vouch_locator *L = NULL;
	static struct vouch_location w;
	const uint8_t *a, *b;
	size_t alen, blen, len;
	char *text, *asked = NULL, *roots[1] = { root };
	bool canonical;
	int lowest;

	if (!root[0])
		setup();
	lowest = fz_lowest_fd();
	if (size > (256u << 10))
		return 0;
	fz_split(data, size, &a, &alen, &b, &blen);
	text = expand(a, alen, &len);
	if (!ids_small(text)) {
		free(text);
		return 0;
	}
	fz_write(mi_file, text, len, 0644);
	canonical = table_ok = table_canonical(text);
	if (alen < size) {
		size_t l;
		asked = expand(b, blen, &l);
	}
	mi_active = true;
	if (vouch_locator_new(roots, 1, &L) || !L)
		abort();
	vouch_locate(L, AT_FDCWD, asked, fd_f, 0, &w);
	check(&w, L, canonical);
	vouch_locate(L, AT_FDCWD, NULL, fd_h, 0, &w);
	check(&w, L, canonical);
	vouch_locate(L, AT_FDCWD, asked, fd_f, getpid(), &w);
	check(&w, L, canonical);
	vouch_locator_free(L);
	mi_active = false;
	free(asked);
	free(text);
	if (fz_lowest_fd() != lowest)
		abort();                /* a descriptor stayed open */
	return 0;
}
