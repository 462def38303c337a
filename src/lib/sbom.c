/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sbom.c - `vouch sbom`: a CycloneDX 1.6 document for a model directory,
 * its files with SHA-256 hashes and, given a Python interpreter, the
 * distributions importlib.metadata finds there, as pkg:pypi purls.  The
 * interpreter is a program the user names: it runs isolated (-I: no
 * PYTHON* variables, no cwd or user site on sys.path), through fork and
 * exec with no shell, stdin /dev/null, its output bounded in size and time.
 * No network is used.
 */
#include "prov_i.h"
#include "model_i.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PY_OUT_MAX  (16u << 20)      /* a few thousand distributions is ~100 KiB */
#define PY_TIMEOUT  60               /* seconds: importlib.metadata reads local files only */
#define PY_DISTS_MAX 100000

/* Prints [[name, version], ...]: the distributions on sys.path in path
 * order (importlib's own precedence: the first of two copies is the one
 * imported). */
static const char py_script[] =
	"import importlib.metadata as m, json, sys\n"
	"out = []\n"
	"for d in m.distributions():\n"
	"    n = d.metadata['Name']\n"
	"    v = d.version\n"
	"    if isinstance(n, str) and isinstance(v, str) and n and v:\n"
	"        out.append([n, v])\n"
	"json.dump(out, sys.stdout)\n";

/* The paths every signature already leaves out, and the documents'
 * directory (an SBOM cannot list itself). */
static const char *const sbom_ignores[] = {
	".git", ".gitattributes", ".github", ".gitignore", ".vouch", "model.sig", "model.sig.d",
};

static int run_python(const char *python, char **out, size_t *outlen, char *err, size_t errlen)
{
	int pfd[2], status = 0, ret = 0;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	time_t deadline = time(NULL) + PY_TIMEOUT;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return verr(err, errlen, -errno, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		ret = verr(err, errlen, -errno, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return ret;
	}
	if (pid == 0) {
		char *const argv[] = { (char *)python, (char *)"-I", (char *)"-c",
				       (char *)py_script, NULL };
		int nul = open("/dev/null", O_RDONLY);

		/* Its own process group, so a timeout kills what it started too. */
		setpgid(0, 0);
		if (nul < 0 || dup2(nul, 0) < 0 || dup2(pfd[1], 1) < 0)
			_exit(126);
		execvp(python, argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		time_t now = time(NULL);
		ssize_t n;
		int pr;

		if (now >= deadline) {
			ret = verr(err, errlen, -ETIMEDOUT, "%s: no answer within %d s", python, PY_TIMEOUT);
			break;
		}
		pr = poll(&p, 1, (int)(deadline - now) * 1000);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			continue;
		if (len + 65536 + 1 > cap) {
			char *nb;
			cap = cap ? cap * 2 : 131072;
			nb = realloc(buf, cap);
			if (!nb) {
				ret = -ENOMEM;
				break;
			}
			buf = nb;
		}
		n = read(pfd[0], buf + len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = verr(err, errlen, -errno, "%s: %s", python, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > PY_OUT_MAX) {
			ret = verr(err, errlen, -EFBIG, "%s: more than %u bytes of output", python,
				   PY_OUT_MAX);
			break;
		}
	}
	close(pfd[0]);
	if (ret)
		kill(-pid, SIGKILL), kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!ret && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		ret = verr(err, errlen, -EIO, "%s: %s %d (is it a Python 3.8+ interpreter?)", python,
			   WIFEXITED(status) ? (WEXITSTATUS(status) == 127 ? "cannot be run, exit" :
						"exit status") : "killed by signal",
			   WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	if (ret) {
		free(buf);
		return ret;
	}
	if (!buf && !(buf = malloc(1)))
		return -ENOMEM;
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

static int cmp_json_name(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;

	return strcmp(json_string_value(json_object_get(x, "bom-ref")),
		      json_string_value(json_object_get(y, "bom-ref")));
}

/* The interpreter's distributions, as CycloneDX library components. */
static int python_components(const char *python, json_t *comps, char *err, size_t errlen)
{
	char *out = NULL, sub[256];
	size_t len = 0, i, n = 0;
	json_t *list = NULL, *e, **v = NULL;
	int ret;

	ret = run_python(python, &out, &len, err, errlen);
	if (ret)
		return ret;
	list = vouch_doc_parse((uint8_t *)out, len, sub, sizeof(sub));
	if (!json_is_array(list) || json_array_size(list) > PY_DISTS_MAX) {
		ret = verr(err, errlen, -EINVAL, "%s: unexpected output (%s)", python,
			   list ? "not a list" : sub);
		goto out;
	}
	v = calloc(json_array_size(list) + 1, sizeof(*v));
	if (!v) {
		ret = -ENOMEM;
		goto out;
	}
	json_array_foreach(list, i, e) {
		const char *name = json_string_value(json_array_get(e, 0));
		const char *ver = json_string_value(json_array_get(e, 1));
		char *purl;
		bool dup = false;

		if (json_array_size(e) != 2 || !name || !ver || strlen(name) > 256 ||
		    strlen(ver) > VOUCH_VERSION_MAX) {
			ret = verr(err, errlen, -EINVAL, "%s: entry %zu is not [name, version]", python, i);
			goto out;
		}
		for (size_t k = 0; k < n && !dup; k++)
			dup = vouch_pkg_name_eq("pypi", name,
						json_string_value(json_object_get(v[k], "name")));
		if (dup)
			continue;               /* shadowed by the one found first */
		purl = vouch_purl_format("pypi", NULL, name, ver);
		if (!purl) {
			ret = -ENOMEM;
			goto out;
		}
		v[n++] = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "library", "bom-ref", purl,
				   "name", name, "version", ver, "purl", purl);
		free(purl);
		if (!v[n - 1]) {
			ret = verr(err, errlen, -EINVAL, "%s: entry %zu is not UTF-8", python, i);
			goto out;
		}
	}
	qsort(v, n, sizeof(*v), cmp_json_name);
	for (i = 0; i < n; i++) {
		json_array_append_new(comps, v[i]);
		v[i] = NULL;
	}
out:
	for (i = 0; v && i < n; i++)
		json_decref(v[i]);
	free(v);
	json_decref(list);
	free(out);
	return ret;
}

struct file_hashes {
	json_t *comps;
	char *err;
	size_t errlen;
};

static int file_component(void *arg, const struct vouch_item *it, int rc, const struct stat *st,
			  const struct vouch_hash_job *jobs, size_t njobs)
{
	struct file_hashes *f = arg;
	uint8_t empty[32];
	const uint8_t *d = empty;
	char hex[65], *ref = NULL;
	json_t *c;

	if (rc)
		return verr(f->err, f->errlen, rc, "%s: %s", it->path, strerror(-rc));
	if (njobs && jobs[0].rc)
		return verr(f->err, f->errlen, jobs[0].rc, "%s: %s", it->path, strerror(-jobs[0].rc));
	if (njobs)
		d = jobs[0].digest;
	else
		SHA256((const uint8_t *)"", 0, empty);
	vouch_hex(d, 32, hex);
	if (asprintf(&ref, "file:%s", it->path) < 0)
		return -ENOMEM;
	c = json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}]}", "type", "file", "bom-ref", ref,
		      "name", it->path, "hashes", "alg", "SHA-256", "content", hex);
	free(ref);
	if (!c)
		return verr(f->err, f->errlen, -EINVAL, "%s: cannot encode the name", it->path);
	json_array_append_new(f->comps, c);
	(void)st;
	return 0;
}

/* A version-5-shaped UUID from a SHA-256 of the content: the same model
 * and environment give the same serial number (CycloneDX requires one per
 * BOM, RFC 4122 form). */
static void serial_of(const char *text, char out[46])
{
	uint8_t md[32];

	SHA256((const uint8_t *)text, strlen(text), md);
	md[6] = (uint8_t)((md[6] & 0x0f) | 0x50);
	md[8] = (uint8_t)((md[8] & 0x3f) | 0x80);
	snprintf(out, 46, "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x", md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7],
		 md[8], md[9], md[10], md[11], md[12], md[13], md[14], md[15]);
}

static char *dir_name_of(const char *dir)
{
	char *real = realpath(dir, NULL), *b, *out;

	if (!real)
		return strdup("model");
	b = strrchr(real, '/');
	out = strdup(b && b[1] ? b + 1 : "model");
	free(real);
	return out;
}

int vouch_sbom_make(const char *dir, const char *python, char **json, char *err, size_t errlen)
{
	struct vouch_scan_opts so = { .ignore = (char **)sbom_ignores,
				      .nignore = ARRAY_SIZE(sbom_ignores) };
	struct vouch_items items = { 0 };
	struct file_hashes fh = { .err = err, .errlen = errlen };
	json_t *doc = NULL, *files = NULL, *libs = NULL, *all;
	char *name = NULL, *body = NULL, serial[46], ts[32];
	const char *sde = secure_getenv("SOURCE_DATE_EPOCH");
	enum vouch_cause cause;
	int rootfd, ret;
	int64_t now;

	*json = NULL;
	rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return verr(err, errlen, -errno, "%s: %s", dir,
			    errno == ENOTDIR ? "not a directory (vouch sbom describes a model "
			    "directory)" : strerror(errno));
	ret = vouch_model_scan(rootfd, &so, &items, &cause, err, errlen);
	if (ret)
		goto out;
	files = json_array();
	libs = json_array();
	name = dir_name_of(dir);
	if (!files || !libs || !name) {
		ret = -ENOMEM;
		goto out;
	}
	fh.comps = files;
	ret = vouch_model_hash(rootfd, &items, false, 0, VOUCH_HASH_SHA256, 0, NULL, file_component,
			       &fh);
	if (ret)
		goto out;
	if (python) {
		ret = python_components(python, libs, err, errlen);
		if (ret)
			goto out;
	}
	/* Serial number over the content; timestamp from SOURCE_DATE_EPOCH. */
	{
		char *a = json_dumps(files, JSON_COMPACT), *b = json_dumps(libs, JSON_COMPACT), *t = NULL;
		if (!a || !b || asprintf(&t, "%s\n%s\n%s", name, a, b) < 0)
			t = NULL;
		free(a);
		free(b);
		if (!t) {
			ret = -ENOMEM;
			goto out;
		}
		serial_of(t, serial);
		free(t);
	}
	now = sde && *sde ? strtoll(sde, NULL, 10) : (int64_t)time(NULL);
	vouch_time_format(now, ts);
	all = json_array();
	json_array_extend(all, files);
	json_array_extend(all, libs);
	doc = json_pack("{s:s, s:s, s:s, s:i, s:{s:s, s:{s:[{s:s, s:s, s:s}]}, s:{s:s, s:s, s:s}}, "
			"s:o}",
			"bomFormat", "CycloneDX", "specVersion", "1.6", "serialNumber", serial,
			"version", 1,
			"metadata", "timestamp", ts,
			"tools", "components", "type", "application", "name", "vouch",
			"version", VOUCH_VERSION,
			"component", "type", "machine-learning-model", "bom-ref", "model",
			"name", name,
			"components", all);
	if (!doc || !(body = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER))) {
		ret = verr(err, errlen, -EINVAL, "%s: cannot encode the document", dir);
		goto out;
	}
	{
		/* End with a newline: a text file. */
		size_t l = strlen(body);
		char *nb = realloc(body, l + 2);
		if (!nb) {
			ret = -ENOMEM;
			goto out;
		}
		body = nb;
		body[l] = '\n';
		body[l + 1] = '\0';
	}
	*json = body;
	body = NULL;
	ret = 0;
out:
	close(rootfd);
	vouch_items_free(&items);
	json_decref(files);
	json_decref(libs);
	json_decref(doc);
	free(name);
	free(body);
	return ret;
}
