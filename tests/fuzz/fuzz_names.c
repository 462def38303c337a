/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_names.c - libFuzzer harness for how names under a protected root are
 * resolved (name.c, util.c), on a small real tree in the harness's private
 * temp dir whose symlinks the input writes:
 *  - vouch_name_open_confined: symlinks followed by hand, each target folded
 *    lexically (the static rel_fold) and never leaving the symlink root;
 *    run with the tree's root and with its subdirectory a/ as the symlink
 *    root, with O_PATH and with O_RDONLY;
 *  - vouch_openat_beneath (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS) and
 *    its fallback vouch_openat_beneath_walk, which util.c says give the same
 *    results: compared on every name vouch_path_ok accepts (the only names
 *    callers pass);
 *  - vouch_name_is_signature and vouch_name_hub_repo on the same names.
 * Input: NUL-separated name, then the targets of the links l0, a/l1 and
 * a/b/l2 (a missing target: no link).  The tree: a/b/file, model.sig,
 * x.sig, m.sig.d/c.sig, repo/snapshots/, repo/refs/main.
 *
 * Checks: whatever the confined resolution opens lies at or beneath its
 * symlink root (by the descriptor's own path in /proc); the two beneath
 * opens succeed together, on the same inode, or fail together with the
 * same error; a signature name ends in ".sig"; a hub repo is a leading part
 * of the name, followed by "/refs/" and a non-empty ref; no descriptor is
 * left open.
 */
#include "verify_i.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char top[1200], sub_a[1300];
static char links[3][1300];
static int topfd = -1, afd = -1;

static void mk(const char *rel, bool dir)
{
	char p[1400];

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	if (dir)
		fz_mkdir(p, 0755);
	else
		fz_write(p, rel, strlen(rel), 0644);
}

static void setup(void)
{
	vouch_init();
	fz_path(top, sizeof(top), "tree");
	fz_mkdir(top, 0755);
	mk("a", true);
	mk("a/b", true);
	mk("a/b/file", false);
	mk("model.sig", false);
	mk("x.sig", false);
	mk("m.sig.d", true);
	mk("m.sig.d/c.sig", false);
	mk("repo", true);
	mk("repo/snapshots", true);
	mk("repo/refs", true);
	mk("repo/refs/main", false);
	snprintf(sub_a, sizeof(sub_a), "%s/a", top);
	snprintf(links[0], sizeof(links[0]), "%s/l0", top);
	snprintf(links[1], sizeof(links[1]), "%s/a/l1", top);
	snprintf(links[2], sizeof(links[2]), "%s/a/b/l2", top);
	topfd = open(top, O_PATH | O_DIRECTORY | O_CLOEXEC);
	afd = open(sub_a, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (topfd < 0 || afd < 0)
		abort();
}

/* fd's path, as the kernel sees it, lies at or beneath dir. */
static bool beneath(int fd, const char *dir)
{
	char link[64], buf[4096];
	ssize_t n;
	size_t l = strlen(dir);

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n <= 0)
		return true;            /* no /proc: cannot tell */
	buf[n] = '\0';
	return !strncmp(buf, dir, l) && (buf[l] == '\0' || buf[l] == '/');
}

static void confined(int srfd, const char *dir, const char *name, int flags)
{
	int fd = vouch_name_open_confined(srfd, name, flags);

	if (fd >= 0) {
		if (!beneath(fd, dir))
			abort();        /* resolved out of the symlink root */
		close(fd);
	}
}

static void differential(const char *name)
{
	int r1 = vouch_openat_beneath(topfd, name, O_PATH);
	int r2 = vouch_openat_beneath_walk(topfd, name, O_PATH);

	if ((r1 >= 0) != (r2 >= 0))
		abort();                /* one opens, the other does not */
	if (r1 >= 0) {
		struct stat s1, s2;

		if (fstat(r1, &s1) || fstat(r2, &s2) || s1.st_dev != s2.st_dev || s1.st_ino != s2.st_ino)
			abort();
		if (!beneath(r1, top))
			abort();
		close(r1);
		close(r2);
	} else if (r1 != r2 && strlen(name) < PATH_MAX) {
		abort();                /* the same failure, told differently */
	}
}

static void names(const char *name)
{
	const char *ref = NULL, *base = strrchr(name, '/');
	char *repo;
	size_t bl;

	base = base ? base + 1 : name;
	bl = strlen(base);
	if (vouch_name_is_signature(topfd, name) && !(bl > 4 && !strcmp(base + bl - 4, ".sig")))
		abort();
	repo = vouch_name_hub_repo(topfd, name, &ref);
	if (repo) {
		size_t rl = strlen(repo);

		if (!ref || !*ref || ref < name || ref > name + strlen(name))
			abort();
		if (rl ? strncmp(name, repo, rl) || strncmp(name + rl, "/refs/", 6) ||
			 ref != name + rl + 6
		       : strncmp(name, "refs/", 5) || ref != name + 5)
			abort();
		free(repo);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part[4], *rest = data;
	size_t len[4], rlen = size;
	char *name;
	int lowest;
	bool have = true;

	if (topfd < 0)
		setup();
	if (size > 16384)
		return 0;
	lowest = fz_lowest_fd();
	for (int i = 0; i < 4; i++) {
		const uint8_t *next = rest;
		size_t nlen = 0;

		part[i] = rest;
		len[i] = 0;
		if (have)
			fz_split(rest, rlen, &part[i], &len[i], &next, &nlen);
		if (i > 0) {
			unlink(links[i - 1]);
			if (have) {
				char *t = fz_strndup(part[i], len[i]);
				if (symlink(t, links[i - 1]) < 0 && errno != ENAMETOOLONG && errno != ENOENT)
					abort();
				free(t);
			}
		}
		have = have && len[i] < rlen;   /* a NUL ended this part */
		rest = next;
		rlen = nlen;
	}
	name = fz_strndup(part[0], len[0]);
	confined(topfd, top, name, O_PATH);
	confined(topfd, top, name, O_RDONLY | O_NONBLOCK);
	confined(afd, sub_a, name, O_PATH);
	if (vouch_path_ok(name))
		differential(name);
	names(name);
	free(name);
	if (fz_lowest_fd() != lowest)
		abort();                /* a descriptor stayed open */
	return 0;
}
