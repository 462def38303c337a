#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# bench/load.sh - issue 19 item 4: load, bounded, on this machine.  What it
# shows: under sustained concurrent load, with reloads, every verdict stays
# right, the tampered file is denied and recorded every time, and memory
# stays flat.
#
#   vouchfs  CLIENTS (64) processes (tests/helpers/load-client) open and read
#            to the end random files of a 2 GiB signed tree (FILES=256 files of
#            8 MiB, random bytes; one of them tampered after signing) through
#            a vouchfs mount for LOAD_SECONDS (60) s, with a SIGHUP to vouchfs
#            every HUP_EVERY (10) s (each rereads the trust and drops the
#            cached verdicts, so each file is decided afresh at its next open).
#   shim     SHIM_PROCS (16) processes, the preload shim in each, the same
#            tree and the same loop for SHIM_SECONDS s.  A process reads its
#            config once and has no reload signal, so there is no SIGHUP; each
#            process verifies each file at its first open of it.
# Reported for each: opens/s, p50/p99/max open(2) latency (ms; the open
# alone, the read is not timed), RSS, wrong verdicts, opens with read errors,
# the tampered file's opens, denials and deny records (JSON audit log; and
# syslog), SIGHUPs sent and reloads vouchfs reported.  RSS of vouchfs: after
# mounting, after a warm-up that opened every file once, 10 s into the load
# (its FUSE workers started: 64 clients bring up threads, their stacks and
# malloc arenas once), every 10 s, at the end, and the largest seen (sampled
# every second); of the shim: the largest client's after its first open and
# at the end.
# Targets (exit 1 when one is missed):
#   wrong verdicts 0; read errors 0; every open of the tampered file denied
#   (EACCES) and each with its deny record in the JSON audit log (and at
#   least as many in syslog); vouchfs alive after every SIGHUP with one
#   reload reported for each; RSS flat: at the end <= 1.25 x start + 16 MiB,
#   where start is 10 s into the load for vouchfs (see above; the
#   figure before the load is printed beside it) and after its first open
#   for a shimmed client.
#
# Data: generated once under $BENCH_DIR/load-v1-FILES-FILE_MIB (default
# /var/tmp/vouch-bench), signed with a key of its own.  Runs in a private
# mount namespace: its syslog receiver (tests/syslog-sink.py) is bound over
# /dev/log there only (when the host has a /dev/log to cover; else records go
# to the JSON log alone), and the mount is seen by no one else.  Holds
# /tmp/vouch-tests.lock (shared with the tests) while it measures.
#
# Environment: LOAD_SECONDS (60; e.g. 10 to check the script quickly),
# SHIM_SECONDS (default LOAD_SECONDS),
# HUP_EVERY (10), CLIENTS (64), SHIM_PROCS (16), FILES (256), FILE_MIB (8),
# LOAD_READ (bytes read per open, 0 = the whole file), BENCH_DIR, BUILD
# (default build), LOCK_WAIT (900 s).  Needs root (mount namespace, vouchfs
# mounts with mount(2)).
# Exit status: 0 all targets met, 1 a target missed, 2 setup error.
set -eu
LC_ALL=C; export LC_ALL
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
VOUCH=$BUILD/bin/vouch
VOUCHFS=$BUILD/bin/vouchfs
PRELOAD=$BUILD/lib/libvouch-preload.so
CLIENT=$BUILD/tests/load-client
BENCH_DIR=${BENCH_DIR:-/var/tmp/vouch-bench}
LOAD_SECONDS=${LOAD_SECONDS:-60}
SHIM_SECONDS=${SHIM_SECONDS:-$LOAD_SECONDS}
HUP_EVERY=${HUP_EVERY:-10}
CLIENTS=${CLIENTS:-64}
SHIM_PROCS=${SHIM_PROCS:-16}
FILES=${FILES:-256}
FILE_MIB=${FILE_MIB:-8}
LOAD_READ=${LOAD_READ:-0}
LOCK_WAIT=${LOCK_WAIT:-900}
PY=/usr/bin/python3
export LOAD_READ

die() { echo "bench/load.sh: $*" >&2; exit 2; }

if [ -z "${VOUCH_LOAD_INNER:-}" ]; then
	[ "$(id -u)" = 0 ] || die "needs root (mount namespace; vouchfs mounts with mount(2))"
	for f in "$VOUCH" "$VOUCHFS" "$PRELOAD" "$CLIENT"; do [ -e "$f" ] || die "$f missing: run make"; done
	[ -c /dev/fuse ] || die "no /dev/fuse"
	for t in unshare flock openssl mount; do command -v $t >/dev/null || die "$t missing"; done
	[ -x "$PY" ] || die "$PY missing"

	# ---- data, once: FILES x FILE_MIB MiB of AES-CTR keystream, signed,
	# then one byte of one file flipped (the tampered file).
	DATA=$BENCH_DIR/load-v1-$FILES-$FILE_MIB
	if [ ! -e "$DATA/.complete" ]; then
		echo "generating the $FILES x $FILE_MIB MiB tree under $DATA (once) ..."
		rm -rf "$DATA"; mkdir -p "$DATA/tree/shards" "$DATA/key"
		i=0
		while [ $i -lt "$FILES" ]; do
			f=$DATA/tree/shards/part-$(printf %03d $i).bin
			openssl enc -aes-128-ctr -pass "pass:vouch-load-$i" -nosalt -pbkdf2 </dev/zero 2>/dev/null |
				head -c $((FILE_MIB << 20)) >"$f"
			[ "$(stat -c %s "$f")" -eq $((FILE_MIB << 20)) ] || die "short write to $f"
			i=$((i + 1))
		done
		printf '{"shards": %d}\n' "$FILES" >"$DATA/tree/config.json"
		"$VOUCH" keygen --no-passphrase -o "$DATA/key/k" >/dev/null 2>&1 || die "keygen"
		"$VOUCH" sign -k "$DATA/key/k.key" "$DATA/tree" >/dev/null 2>&1 || die "sign the tree"
		TAMPERED=$DATA/tree/shards/part-$(printf %03d $((FILES / 2 + 1))).bin
		printf 'X' | dd of="$TAMPERED" bs=1 seek=$(( (FILE_MIB << 20) / 2 )) conv=notrunc 2>/dev/null ||
			die "tamper"
		touch "$DATA/.complete"
	fi
	export DATA
	exec 9>/tmp/vouch-tests.lock
	if ! flock -n 9; then
		echo "waiting for /tmp/vouch-tests.lock (tests or another bench are running) ..."
		flock -w "$LOCK_WAIT" 9 || die "/tmp/vouch-tests.lock still held after ${LOCK_WAIT}s"
	fi
	VOUCH_LOAD_INNER=1 exec unshare -m --propagation private sh "$0" "$@"
fi

# ---- inside a private mount namespace, holding the lock (fd 9)
W=$(mktemp -d /tmp/vouch-bench-load.XXXXXX)
SINK=""; FS=""; HUPPER=""; SAMPLER=""
cleanup() {
	set +e
	[ -n "$HUPPER" ] && kill "$HUPPER" 2>/dev/null
	[ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
	if [ -n "$FS" ]; then
		"$VOUCHFS" --unmount "$W/mnt" >/dev/null 2>&1 || umount -l "$W/mnt" 2>/dev/null
		kill -9 "$FS" 2>/dev/null
	fi
	[ -n "$SINK" ] && kill "$SINK" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 2' INT TERM
grep -q ' / / [^-]*shared:' /proc/self/mountinfo && die "not in a private mount namespace"
mkdir -p "$W/trust" "$W/mnt" "$W/lat"
cp "$DATA/key/k.pub" "$W/trust/k.pub"
SYSLOG=$W/syslog.txt
: >"$SYSLOG"
if [ -e /dev/log ]; then
	"$PY" "$ROOT/tests/syslog-sink.py" "$SYSLOG" "$W/log.sock" &
	SINK=$!
	for _ in $(seq 100); do [ -S "$W/log.sock" ] && break; sleep 0.05; done
	mount --bind "$W/log.sock" /dev/log || die "cannot bind the receiver over /dev/log"
	SYSLOG_NOTE="syslog: a receiver bound over /dev/log in this namespace"
else
	SYSLOG_NOTE="syslog: no /dev/log here, records counted in the JSON audit log only"
fi
TREE=$DATA/tree
TAMPERED_REL=shards/part-$(printf %03d $((FILES / 2 + 1))).bin
cat "$TREE"/shards/*.bin >/dev/null            # warm page cache

# expect-list BASE: ok:BASE/f ... deny:BASE/<tampered>
expect_list() {
	for f in "$TREE"/shards/*.bin; do
		r=shards/${f##*/}
		if [ "$r" = "$TAMPERED_REL" ]; then printf 'deny:%s/%s\n' "$1" "$r"
		else printf 'ok:%s/%s\n' "$1" "$r"; fi
	done
}
rss_of() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

# run_clients N SECONDS BASE ENVPREFIX...: N load-clients on BASE's files, all
# starting together 2 s from now for SECONDS; their summaries in $W/c.*.out.
run_clients() {
	n=$1 secs=$2 base=$3; shift 3
	expect_list "$base" >"$W/files"
	start=$(( $(date +%s) + 2 ))
	rm -f "$W"/c.*.out "$W"/lat/*
	pids=""
	i=0
	while [ $i -lt "$n" ]; do
		# shellcheck disable=SC2046
		"$@" "$CLIENT" "$start" "$secs" "$W/lat/$i" $(cat "$W/files") >"$W/c.$i.out" 2>&1 &
		pids="$pids $!"
		i=$((i + 1))
	done
	START=$start
}
wait_clients() { for p in $pids; do wait "$p" || true; done; }

# summarize NAME SECONDS: one JSON line of figures from the clients' outputs.
summarize() {
	"$PY" - "$W" "$2" "$1" <<'PYEOF'
import array, glob, json, re, sys
w, secs, name = sys.argv[1], float(sys.argv[2]), sys.argv[3]
tot = dict(opens=0, ok=0, denied=0, wrong=0, errors=0)
rss0 = rss1 = 0
clients = bad = 0
wrongs = []
for f in sorted(glob.glob(w + "/c.*.out")):
    txt = open(f).read()
    m = re.search(r"opens=(\d+) ok=(\d+) denied=(\d+) wrong=(\d+) errors=(\d+) "
                  r"rss_start_kb=(-?\d+) rss_end_kb=(-?\d+)", txt)
    clients += 1
    if not m:
        bad += 1
        wrongs.append(f + ": " + txt.strip()[-300:])
        continue
    for k, v in zip(("opens", "ok", "denied", "wrong", "errors"), m.groups()[:5]):
        tot[k] += int(v)
    rss0, rss1 = max(rss0, int(m.group(6))), max(rss1, int(m.group(7)))
    wrongs += [l for l in txt.splitlines() if l.startswith("wrong:")]
lat = array.array("Q")
for f in glob.glob(w + "/lat/*"):
    with open(f, "rb") as fh:
        lat.frombytes(fh.read())
lat = sorted(lat)
def pct(q):
    return lat[min(len(lat) - 1, int(q * len(lat)))] / 1e6 if lat else float("nan")
print(json.dumps(dict(name=name, clients=clients, broken=bad, rate=tot["opens"] / secs,
                      p50=pct(0.50), p99=pct(0.99), max=(lat[-1] / 1e6 if lat else float("nan")),
                      client_rss0=rss0, client_rss1=rss1, wrongs=wrongs[:5], **tot)))
PYEOF
}
records() { # FILE DECISION-PATTERN: records of the tampered file matching it
	n=$(grep -F -- "$TAMPERED_REL" "$1" 2>/dev/null | grep -c -- "$2") || true
	echo "${n:-0}"
}

echo "load benchmark: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)," \
	"$FILES x $FILE_MIB MiB, ${LOAD_SECONDS}s through vouchfs, ${SHIM_SECONDS}s through the shim," \
	"LOAD_READ=$LOAD_READ"
echo "$SYSLOG_NOTE"

# =========================================================================
# 1. vouchfs: CLIENTS clients, a SIGHUP every HUP_EVERY s
AUDIT_FS=$W/fs-audit.jsonl
"$VOUCHFS" -f --trust "$W/trust" --audit-log "$AUDIT_FS" "$TREE" "$W/mnt" 2>>"$W/vouchfs.err" &
FS=$!
for _ in $(seq 200); do
	awk -v m="$W/mnt" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo && ls "$W/mnt" >/dev/null 2>&1 && break
	kill -0 "$FS" 2>/dev/null || { cat "$W/vouchfs.err" >&2; die "vouchfs exited"; }
	sleep 0.05
done
ls "$W/mnt/shards" >/dev/null 2>&1 || die "vouchfs did not mount"
FS_RSS_MOUNT=$(rss_of "$FS")
t0=$(date +%s)
for f in $(expect_list "$W/mnt" | sed 's/^[a-z]*://'); do
	head -c 1 "$f" >/dev/null 2>&1 || true       # every file verified once
done
FS_WARM_S=$(( $(date +%s) - t0 ))
FS_RSS0=$(rss_of "$FS")
deny_before=$(records "$AUDIT_FS" '"decision":"deny"')
slog_before=$(records "$SYSLOG" 'decision=deny ')
reloads_before=$(grep -c reload "$W/vouchfs.err") || true
reloads_before=${reloads_before:-0}
run_clients "$CLIENTS" "$LOAD_SECONDS" "$W/mnt"
(
	# SIGHUP at START + k * HUP_EVERY while the load lasts; ends with it.
	n=0; next=$((START + HUP_EVERY)); stop=$((START + LOAD_SECONDS))
	while [ "$(date +%s)" -lt "$stop" ]; do
		if [ "$(date +%s)" -ge "$next" ] && [ "$next" -lt "$stop" ]; then
			kill -HUP "$FS" 2>/dev/null || break
			n=$((n + 1)); echo "$n" >"$W/hups"
			next=$((next + HUP_EVERY))
		fi
		sleep 0.2
	done
) &
HUPPER=$!
(
	while kill -0 "$FS" 2>/dev/null; do
		echo "$(( $(date +%s) - START )) $(rss_of "$FS") $(awk '/^Threads/ { print $2 }' "/proc/$FS/status")" >>"$W/rss"
		sleep 1
	done
) &
SAMPLER=$!
wait_clients
wait "$HUPPER" 2>/dev/null || true
HUPPER=""
kill "$SAMPLER" 2>/dev/null || true
wait "$SAMPLER" 2>/dev/null || true
SAMPLER=""
FS_ALIVE=yes; kill -0 "$FS" 2>/dev/null || FS_ALIVE=no
FS_RSS1=$(rss_of "$FS" 2>/dev/null || echo -1)
HUPS=$(cat "$W/hups" 2>/dev/null || echo 0)
sleep 1                                         # the audit sender drains
r=$(grep -c reload "$W/vouchfs.err") || true
RELOADS=$(( ${r:-0} - reloads_before ))
FS_DENY_REC=$(( $(records "$AUDIT_FS" '"decision":"deny"') - deny_before ))
FS_DENY_SYS=$(( $(records "$SYSLOG" 'decision=deny ') - slog_before ))
FS_SUM=$(summarize vouchfs "$LOAD_SECONDS")
"$VOUCHFS" --unmount "$W/mnt" >/dev/null 2>&1 || true
kill "$FS" 2>/dev/null || true
wait "$FS" 2>/dev/null || true
FS=""

# =========================================================================
# 2. the shim: SHIM_PROCS processes, each its own shim
AUDIT_SHIM=$W/shim-audit.jsonl
printf '[vouch]\nmode = enforce\nprotect = %s\ntrust = %s\naudit_log = %s\n' \
	"$TREE" "$W/trust" "$AUDIT_SHIM" >"$W/vouch.conf"
chmod 644 "$W/vouch.conf"
: >"$SYSLOG"
run_clients "$SHIM_PROCS" "$SHIM_SECONDS" "$TREE" env LD_PRELOAD="$PRELOAD" VOUCH_CONFIG="$W/vouch.conf"
wait_clients
sleep 1
SH_DENY_REC=$(records "$AUDIT_SHIM" '"decision":"deny"')
SH_DENY_SYS=$(records "$SYSLOG" 'decision=deny ')
SH_SUM=$(summarize shim "$SHIM_SECONDS")

# =========================================================================
"$PY" - "$FS_SUM" "$SH_SUM" "$FS_RSS_MOUNT" "$FS_RSS0" "$FS_RSS1" "$FS_WARM_S" "$HUPS" "$RELOADS" \
	"$FS_ALIVE" "$FS_DENY_REC" "$FS_DENY_SYS" "$SH_DENY_REC" "$SH_DENY_SYS" "$TAMPERED_REL" \
	"$([ -n "$SINK" ] && echo 1 || echo 0)" "$W/rss" "$LOAD_SECONDS" <<'PYEOF'
import json, sys
fs, sh = json.loads(sys.argv[1]), json.loads(sys.argv[2])
rss_mount, rss_warm, rss1, warm, hups, reloads = (int(x) for x in sys.argv[3:9])
alive = sys.argv[9] == "yes"
fs_rec, fs_sys, sh_rec, sh_sys = (int(x) for x in sys.argv[10:14])
tampered, have_syslog = sys.argv[14], sys.argv[15] == "1"
samples, threads = [], {}
for l in open(sys.argv[16]) if sys.argv[16] else ():
    f = l.split()
    if len(f) == 3 and all(x.lstrip("-").isdigit() for x in f):
        samples.append((int(f[0]), int(f[1])))
        threads[int(f[0])] = int(f[2])
ramp = max(1, min(10, int(sys.argv[17]) // 3))     # s into the load: the workers are up
after_ramp = [kb for t, kb in samples if t >= ramp]
rss0 = after_ramp[0] if after_ramp else -1
rss_max = max([kb for _, kb in samples] + [rss1])
missed = []
def check(ok, what):
    if not ok:
        missed.append(what)
    return "ok" if ok else "MISSED"
def flat(a, b):
    return a > 0 and 0 < b <= 1.25 * a + 16384
print()
print("%-32s %14s %14s" % ("", "vouchfs", "shim"))
print("%-32s %14d %14d" % ("clients (processes)", fs["clients"], sh["clients"]))
print("%-32s %14d %14d" % ("opens", fs["opens"], sh["opens"]))
print("%-32s %14.1f %14.1f" % ("opens/s", fs["rate"], sh["rate"]))
for k in ("p50", "p99", "max"):
    print("%-32s %14.3f %14.3f" % ("open latency %s (ms)" % k, fs[k], sh[k]))
print("%-32s %14s %14s" % ("RSS start -> end (KiB)", "%d -> %d" % (rss0, rss1),
                           "%d -> %d" % (sh["client_rss0"], sh["client_rss1"])))
print("%-32s %14d %14s" % ("RSS largest seen (KiB)", rss_max, "-"))
print("%-32s %14d %14d" % ("wrong verdicts", fs["wrong"], sh["wrong"]))
print("%-32s %14d %14d" % ("read errors", fs["errors"], sh["errors"]))
print("%-32s %14d %14d" % ("tampered opens denied", fs["denied"], sh["denied"]))
print("%-32s %14d %14d" % ("  deny records, JSON log", fs_rec, sh_rec))
if have_syslog:
    print("%-32s %14d %14d" % ("  deny records, syslog", fs_sys, sh_sys))
print("%-32s %14s %14s" % ("SIGHUPs sent / reloads", "%d / %d" % (hups, reloads), "-"))
print("vouchfs RSS (KiB): %d after mounting, %d after the warm-up (every file opened once, %d s),"
      " %d at %g s into the load (start), %d at the end" % (rss_mount, rss_warm, warm, rss0, ramp, rss1))
print("vouchfs RSS KiB (threads) every %g s: %s" % (ramp, " ".join("%d (%d)" % (kb, threads[t])
      for t, kb in samples if t >= 0 and t % int(ramp or 1) == 0)))
print()
for name, r, rec, sysl, extra in (("vouchfs", fs, fs_rec, fs_sys, True), ("shim", sh, sh_rec, sh_sys, False)):
    print("%s:" % name)
    print("  wrong verdicts 0 ................................ %s" % check(r["wrong"] == 0 and r["broken"] == 0, name + " wrong verdicts"))
    print("  read errors 0 ................................... %s" % check(r["errors"] == 0, name + " read errors"))
    print("  tampered file opened, denied every time ......... %s" % check(r["denied"] > 0 and r["wrong"] == 0, name + " tampered denials"))
    print("  a JSON deny record for each denial .............. %s" % check(rec >= r["denied"], name + " deny records"))
    if have_syslog:
        print("  a syslog deny record for each denial ............ %s" % check(sysl >= r["denied"], name + " syslog records"))
    if extra:
        print("  alive after every SIGHUP, one reload each ....... %s" % check(alive and hups > 0 and reloads >= hups, "reloads"))
        print("  RSS flat (end <= 1.25 x start + 16 MiB) ......... %s" % check(flat(rss0, rss1), "vouchfs RSS"))
    else:
        print("  RSS flat (end <= 1.25 x start + 16 MiB) ......... %s" % check(flat(r["client_rss0"], r["client_rss1"]), "shim RSS"))
    for l in r["wrongs"]:
        print("    " + l)
print()
print("tampered: %s; all targets met" % tampered if not missed else "MISSED: " + ", ".join(missed))
sys.exit(1 if missed else 0)
PYEOF
