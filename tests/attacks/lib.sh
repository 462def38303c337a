# SPDX-License-Identifier: Apache-2.0
# Shared set-up for the attack suite (tests/attacks/*.sh, issue 19 item 1):
# one signed model tree, four front ends over it, and one way to open a file
# through each and judge what came back.  Source it first thing:
#   . "$VOUCH_SRC/tests/attacks/lib.sh"
# It proves nothing by itself; each case states what it proves.
#
# The case re-runs itself in a private mount namespace (every tmpfs, bind,
# overlay, loop and FUSE mount it makes dies with it), then sources the
# project's helpers (tests/lib.sh, fs-lib.sh, preload-lib.sh, vouchd-lib.sh)
# and uses their mounting, daemon and cleanup code as it is.
#
# The tree: $ROOT (the protected root) is a directory on a tmpfs of its own
# ($AT_FS: vouchd marks whole filesystems and refuses one that holds / or
# its config), with $STASH beside it on the same tmpfs (outside the root:
# where an attacker stages files to rename in) and $OUTSIDE on another
# filesystem.  Keys, trust ($TMPDIR/trust), state ($TMPDIR/state) and the
# config ($AT_CONF) are on $TMPDIR's filesystem.  One config serves all four
# front ends; every one of them writes its JSON records to $AT_AUDIT (the
# config's audit_log, and vouchd's --audit-log) and its syslog records to the
# receiver at /dev/log ($SYSLOG).
#
# Front ends (FE): cli (`vouch verify` of the model directory), fs (a live
# vouchfs mount of $ROOT at $MNT), shim (LD_PRELOAD, the same config), vouchd
# (fanotify, reading $ROOT directly).  vouchfs and vouchd are never running
# at the same time.
#   at_setup [TMPFS-SIZE]     keys, trust, state, the tmpfs, syslog receiver
#   at_conf [LINE...]         (re)write $AT_CONF: enforce, protect $ROOT, ...
#   at_start FE / at_stop FE  mount / unmount, start / stop the daemon
#   at_path FE REL            the path a reader of FE opens for $ROOT/REL (an
#                             absolute REL: that path; its record's path is
#                             then given in AT_RECPATHS)
#   fe_read FE REL [MODE]     open REL through FE (attack-read MODE): sets
#                             AT_V (allow|deny|error), AT_ERR (errno name, or
#                             the CLI's cause), AT_M (1: attacker's marker
#                             read), AT_SHA, AT_GOT (the reader's line)
#   fe_read_bg FE REL OUT [MODE]  the same in the background, line to OUT
#   fe_exec FE ARGS...        attack-read as a reader of FE (killed after
#                             AT_READ_TIMEOUT, 30 s: a hang is a result)
#   fe_expect_deny FE REL CAUSE-RE [MODE]
#                             denied (EACCES; vouchd EPERM; CLI exit 1 and
#                             its line for REL), no marker byte read, and a
#                             deny record for REL with that cause at alert
#                             severity in the JSON log and in syslog (<81>);
#                             the record's cause in AT_CAUSE
#   fe_expect_allow FE REL REF [MODE]
#                             allowed, exactly REF's bytes, no marker
#   at_control REL            no front end: the raw file holds the marker
#                             (the attack is real; proves the case can fail)
#   at_bad MSG / at_done      collect a failed expectation / fail at the end
#   at_note FE ATTACK RESULT  one line of the case's result table
#   at_taint FILE [OFF]       the marker written over FILE at OFF (same size)
#   at_evil FILE [SIZE]       a file of attacker bytes
#   at_sign DIR [SIGN-ARGS]   vouch sign with the case's key k
#   at_model DIR [SIGN-ARGS]  a small signed model (mkmodel + vouch sign)
#   at_mv SRC DEST            stage SRC in $STASH and rename it to DEST (a
#                             write under a root is itself refused by vouchd)
if [ -z "${AT_NS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: the attack suite mounts and runs vouchd: root only"; exit 77; }
	AT_NS=1 exec unshare -m --propagation private sh "$0" "$@"
fi
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
. "$VOUCH_SRC/tests/preload-lib.sh"
. "$VOUCH_SRC/tests/vouchd-lib.sh"
AREAD=$VOUCH_BUILD/tests/attack-read
ARACE=$VOUCH_BUILD/tests/attack-race
[ -x "$AREAD" ] && [ -x "$ARACE" ] || fail "missing $AREAD or $ARACE (make)"

MARKER=ATTACKER-BYTES
AT_FS=$TMPDIR/fs
ROOT=$AT_FS/models
STASH=$AT_FS/stash
OUTSIDE=$TMPDIR/outside
MNT=$TMPDIR/mnt
STATE=$TMPDIR/state
AT_CONF=$TMPDIR/attack.conf
VD_CONF=$AT_CONF                        # vd_start reads it
CONF=$AT_CONF                           # preload-lib's shim() reads it
AT_AUDIT=$VD_AUDIT
AT_FES=${AT_FES:-cli fs shim vouchd}    # AT_FES=shim sh CASE: one front end
AT_FS_ARGS=""                           # extra vouchfs arguments
AT_CLI_FLAGS=""                         # extra `vouch verify` arguments
AT_PROTECT=""                           # more protected roots (ROOT:ROOT...)
# AT_MODE=audit sh CASE: every front end allows (and logs): each case must
# then fail, which shows it can.
AT_BAD=0
AT_V="" AT_ERR="" AT_M=0 AT_SHA="" AT_GOT="" AT_CAUSE="" AT_BG=""
AT_TABLE=$TMPDIR/results.txt
: >"$AT_TABLE"

# Everything the helpers started, whatever happened: a case's own hook,
# then vouchfs mounts (their source is on the tmpfs), then vouchd and the
# tmpfs itself.
AT_HOOK=":"
at_cleanup() {
	eval "$AT_HOOK" >/dev/null 2>&1
	fs_cleanup
	vd_cleanup
}
trap at_cleanup EXIT
at_syslog_start() { syslog_start; trap at_cleanup EXIT; }

at_conf() {
	{
		printf '[vouch]\nmode = %s\nprotect = %s\ntrust = %s\nstate_dir = %s\naudit_log = %s\n' \
			"${AT_MODE:-enforce}" "$ROOT${AT_PROTECT:+:$AT_PROTECT}" "$TMPDIR/trust" "$STATE" "$AT_AUDIT"
		for l in "$@"; do printf '%s\n' "$l"; done
	} >"$AT_CONF"
	chmod 0644 "$AT_CONF"
}

at_setup() {
	newkey k
	mkdir -p "$TMPDIR/trust" "$OUTSIDE" "$MNT"
	mkdir -m 0755 -p "$STATE"
	cp "$TMPDIR/k.pub" "$TMPDIR/trust/k.pub"
	vd_fs "$AT_FS" "${1:-512m}"
	mkdir -p "$ROOT" "$STASH"
	at_conf
	at_syslog_start
}

at_sign() { # DIR [SIGN-ARGS...]
	d=$1; shift
	"$VOUCH" sign -k "$TMPDIR/k.key" "$@" "$d" >"$TMPDIR/sign.out" 2>&1 ||
		{ cat "$TMPDIR/sign.out" >&2; fail "vouch sign $d"; }
}
at_model() { # DIR [SIGN-ARGS...]
	d=$1; shift
	mkmodel "$d"
	at_sign "$d" "$@"
}
at_taint() { # FILE [OFFSET]
	printf '%s' "$MARKER" | dd of="$1" bs=1 seek="${2:-0}" conv=notrunc status=none ||
		fail "taint $1"
}
at_evil() { # FILE [SIZE]
	"$PY" -c 'import sys; m, n = sys.argv[2].encode(), int(sys.argv[3])
open(sys.argv[1], "wb").write((m * (n // len(m) + 1))[:n])' "$1" "$MARKER" "${2:-4096}" ||
		fail "evil $1"
}
at_mv() { # SRC DEST: copy to the stash, then one rename into place
	t=$STASH/.at_mv.$$
	cp "$1" "$t" && mv -f "$t" "$2" || fail "at_mv $1 $2"
}

# ---- front ends ------------------------------------------------------------
fe_name() { case $1 in cli) echo CLI ;; fs) echo vouchfs ;; *) echo "$1" ;; esac; }
at_start() {
	case $1 in
	fs) fs_mount "$ROOT" "$MNT" -c "$AT_CONF" $AT_FS_ARGS ;;
	vouchd) vd_start ;;
	esac
}
at_stop() {
	case $1 in
	fs) fs_stop "$FS_PID" "$MNT" ;;
	vouchd) vd_stop ;;
	esac
}
at_path() { # FE REL (an absolute REL: that path, whatever the front end)
	case $1:$2 in *:/*) echo "$2" ;; fs:*) echo "$MNT/$2" ;; *) echo "$ROOT/$2" ;; esac
}
# The record's path for REL: the CLI writes one record per model directory.
at_recpath() {
	case $2 in /*) return 0 ;; esac        # an outside path: AT_RECPATHS says
	case $1 in
	cli) if [ -n "${AT_CLI_TARGET:-}" ]; then echo "$ROOT/$AT_CLI_TARGET"; else echo "$ROOT/${2%%/*}"; fi ;;
	*) echo "$ROOT/$2" ;;
	esac
}

fe_read() { # FE REL [MODE]
	fe=$1 rel=$2 mode=${3:-open}
	AT_V=error AT_ERR="" AT_M=0 AT_SHA=""
	if [ "$fe" = cli ]; then
		if [ -n "${AT_CLI_TARGET:-}" ]; then
			target=$ROOT/$AT_CLI_TARGET
			case $rel in "$AT_CLI_TARGET") line="" ;; *) line=${rel#"$AT_CLI_TARGET"/} ;; esac
		else
			target=$ROOT/${rel%%/*}; line=${rel#*/}
		fi
		AT_GOT=$("$VOUCH" verify -c "$AT_CONF" $AT_CLI_FLAGS "$target" 2>&1); rc=$?
		if [ $rc -eq 0 ]; then
			# What a loader that trusts this answer then reads.
			fe_parse "$("$AREAD" -x "$MARKER" $AT_READ_ARGS "$ROOT/$rel" 2>&1)"
		elif [ $rc -eq 1 ]; then
			AT_V=deny
			if [ -n "$line" ]; then
				AT_ERR=$(printf '%s\n' "$AT_GOT" | awk -v p="vouch: $line: " \
					'index($0, p) == 1 { s = substr($0, length(p) + 1); split(s, a, " "); print a[1]; exit }')
			else
				AT_ERR=$(printf '%s\n' "$AT_GOT" | sed -n 's/^vouch: .*: \([a-z-]*\)\( (.*)\)\{0,1\}$/\1/p' |
					grep -v '^signers$' | head -n 1)
			fi
			# A model-wide refusal (name-mismatch, threshold, ...), or a
			# name the CLI reports otherwise (a link on the path): its
			# first line.
			[ -n "$AT_ERR" ] || AT_ERR=$(printf '%s\n' "$AT_GOT" |
				sed -n 's/^vouch: .*: \([a-z-]*\)\( (.*)\)\{0,1\}$/\1/p' | head -n 1)
			AT_ERR=${AT_ERR:-no-line}
		else
			AT_ERR="exit-$rc"
		fi
		return 0
	fi
	fe_parse "$(fe_exec "$fe" -m "$mode" -x "$MARKER" $AT_READ_ARGS "$(at_path "$fe" "$rel")" 2>&1)"
}
AT_READ_ARGS=""
# fe_exec FE CMD-ARGS...: run attack-read as a reader of FE (the shim preloaded
# for shim).
# A reader that hangs is killed after AT_READ_TIMEOUT (30) s and prints
# nothing (AT_V=error, AT_GOT empty).
fe_exec() {
	if [ "$1" = shim ]; then
		shift; timeout -s KILL "${AT_READ_TIMEOUT:-30}" env LD_PRELOAD="$PRELOAD" VOUCH_CONFIG="$AT_CONF" "$AREAD" "$@"
	else
		shift; timeout -s KILL "${AT_READ_TIMEOUT:-30}" "$AREAD" "$@"
	fi
}
# fe_read_bg FE REL OUT [MODE]: the reader in the background, its line to OUT,
# its pid in AT_BG (with AT_READ_ARGS, e.g. -w READY GO).
fe_read_bg() {
	fe_exec "$1" -m "${4:-open}" -x "$MARKER" $AT_READ_ARGS "$(at_path "$1" "$2")" >"$3" 2>&1 &
	AT_BG=$!
}
fe_parse() {
	AT_GOT=$1 AT_V=error AT_ERR="" AT_M=0 AT_SHA=""
	case $1 in
	"allow "*)
		AT_V=allow
		AT_SHA=$(printf '%s\n' "$1" | sed -n 's/.*sha256=\([0-9a-f]*\).*/\1/p')
		case $1 in *marker=1*) AT_M=1 ;; esac ;;
	"deny errno="*)
		AT_V=deny
		AT_ERR=$(printf '%s\n' "$1" | sed -n 's/^deny errno=\([A-Z0-9]*\).*/\1/p') ;;
	*)	AT_V=error ;;
	esac
}

at_bad() { echo "BAD: $*" >&2; AT_BAD=$((AT_BAD + 1)); }
at_note() { printf '%-8s %-40s %s\n' "$(fe_name "$1")" "$2" "$3" >>"$AT_TABLE"; echo "  $(fe_name "$1"): $2: $3"; }
at_done() {
	echo "--- results"
	cat "$AT_TABLE"
	[ "$AT_BAD" -eq 0 ] || fail "$AT_BAD expectation(s) failed (BAD lines above)"
	ok "${1:-every expectation held}"
}

# at_marks: remember where the logs end; records after that count.
at_marks() {
	AT_JM=$(wc -l <"$AT_AUDIT")
	AT_SM=$(wc -l <"$SYSLOG")
}
# at_rec DECISION CAUSE-RE PATH...: wait (3 s) for a JSON record after the
# marks whose path is one of PATH (as records carry names: every byte outside
# printable ASCII as the text \xHH) with that decision
# and a cause matching CAUSE-RE (a deny at severity alert), and a syslog record
# saying the same (a deny at <81>: authpriv.alert).  Prints "ok CAUSE" or
# what it found instead.
at_rec() {
	"$PY" - "$AT_AUDIT" "$SYSLOG" "$AT_JM" "$AT_SM" "${AT_REC_WAIT:-3}" "$@" <<'PYEOF'
import json, os, re, sys, time
audit, syslog, jm, sm, wait, decision, cause = sys.argv[1:8]
jm, sm, wait = int(jm), int(sm), float(wait)
def esc(p):
    b = os.fsencode(p)
    out = []
    for c in b:
        if 0x20 <= c < 0x7f:
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    return "".join(out)
paths = [esc(p) for p in sys.argv[8:]]
cre = re.compile("^(%s)$" % cause)
def lines(f, skip):
    with open(f, "rb") as fh:
        return fh.read().decode("utf-8", "surrogateescape").splitlines()[skip:]
deadline = time.monotonic() + wait
while True:
    seen, jok, sok = [], "", False
    for l in lines(audit, jm):
        try:
            r = json.loads(l)
        except ValueError:
            continue
        if r.get("path") not in paths:
            continue
        seen.append("json %s:%s:%s" % (r.get("decision"), r.get("cause"), r.get("severity")))
        if r.get("decision") == decision and cre.match(r.get("cause", "")) and \
           (decision != "deny" or r.get("severity") == "alert"):
            jok = r.get("cause")
    for l in lines(syslog, sm):
        m = re.match(r"<(\d+)>vouch\[\d+\]: decision=(\S+) cause=(\S+) mode=\S+ path=(\"(?:[^\"\\]|\\.)*\"|\S+) ", l)
        if not m:
            continue
        p = m.group(4)
        if p.startswith('"'):
            p = re.sub(r'\\(["\\])', r'\1', p[1:-1])    # \xHH stays as it is
        if p not in paths:
            continue
        seen.append("syslog <%s>%s:%s" % (m.group(1), m.group(2), m.group(3)))
        if m.group(2) == decision and cre.match(m.group(3)) and (decision != "deny" or m.group(1) == "81"):
            sok = True
    if jok and sok:
        print("ok " + jok)
        sys.exit(0)
    if time.monotonic() > deadline:
        print("no %s:%s record at alert in both sinks for %s; seen: %s" %
              (decision, cause, " or ".join(paths), ", ".join(seen) or "none"))
        sys.exit(1)
    time.sleep(0.05)
PYEOF
}

# fe_expect_deny FE REL CAUSE-RE [MODE]: see the top.  The record may name
# another path only where AT_RECPATHS (space-separated) says so.
fe_expect_deny() {
	fe=$1 rel=$2 cause=$3
	at_marks
	fe_read "$fe" "$rel" "${4:-open}"
	what="$(fe_name "$fe") ${4:+($4) }$rel"
	case $fe in cli) want=1 ;; vouchd) want=EPERM ;; *) want=EACCES ;; esac
	if [ "$AT_M" = 1 ]; then
		at_bad "$what: THE ATTACKER'S BYTES WERE READ ($AT_GOT)"
		return 1
	fi
	if [ "$AT_V" != deny ]; then
		at_bad "$what: wanted deny ($cause), got: $AT_GOT"
		return 1
	fi
	if [ "$fe" = cli ]; then
		printf '%s\n' "$AT_ERR" | grep -Eqx -- "$cause" ||
			{ at_bad "$what: the CLI says $AT_ERR, wanted $cause: $AT_GOT"; return 1; }
	elif [ "$AT_ERR" != "$want" ]; then
		at_bad "$what: denied with $AT_ERR, wanted $want"
		return 1
	fi
	r=$(at_rec deny "$cause" "$(at_recpath "$fe" "$rel")" ${AT_RECPATHS:-})
	[ "${r%% *}" = ok ] || { at_bad "$what: $r"; return 1; }
	AT_CAUSE=${r#ok }
	echo "  ok $what: denied, cause $AT_CAUSE, alert logged, no attacker byte"
	return 0
}
# fe_expect_allow FE REL REF [MODE]
fe_expect_allow() {
	fe=$1 rel=$2 ref=$3
	fe_read "$fe" "$rel" "${4:-open}"
	what="$(fe_name "$fe") ${4:+($4) }$rel"
	if [ "$AT_M" = 1 ]; then
		at_bad "$what: THE ATTACKER'S BYTES WERE READ ($AT_GOT)"
		return 1
	fi
	[ "$AT_V" = allow ] || { at_bad "$what: wanted allow, got: $AT_GOT"; return 1; }
	[ "$AT_SHA" = "$(sha256sum <"$ref" | cut -d' ' -f1)" ] ||
		{ at_bad "$what: allowed, but served bytes other than $ref"; return 1; }
	echo "  ok $what: allowed, the signed bytes"
	return 0
}
# at_control REL [MODE]: no front end running: the attack is real.
at_control() {
	fe_parse "$("$AREAD" -m "${2:-open}" -x "$MARKER" "$ROOT/$1" 2>&1)"
	[ "$AT_M" = 1 ] || fail "control: $ROOT/$1 read directly does not give the attacker's bytes ($AT_GOT): the attack is not set up"
}
