#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# attack/faults: the enforcer's own world breaks.  Each fault through every
# front end it applies to; each must fail closed (no unverified byte), keep
# serving what was verified where that is safe, and say why:
#   kill        vouchfs killed (-9) while it hashes a tampered 1 GiB first
#               open, then restarted on the dead mount; vouchd's worker
#               killed the same way (the broker hands the open to the next);
#               the CLI killed mid-hash (a caller sees no "verified").  (The
#               shim is the reader itself; vouchd's broker: vouchd-kill.sh,
#               a documented limit without systemd's fd store.)
#   disk-full   the JSON audit log on a full 64 KiB tmpfs: decisions
#               unchanged, syslog says the log fails
#   state-ro    state_dir made read-only (a read-only bind) while running:
#               the tampered file is still refused, what needs no new mark
#               is served; a first version that needs a mark written is
#               asserted as found; vouch verify --record fails and says so
#   syslog      /dev/log gone, then a receiver that never reads (its queue
#               full): every open is answered (bounded time), the JSON log has
#               every record and says syslog fails (vouchd with the full
#               queue: its broker blocked in syslog(3): kept failing here)
#   trust       the trust directory gone, then SIGHUP (vouchfs, vouchd: the
#               reload is refused, the old trust stays, said in the log); a
#               new shimmed process or CLI run without it fails closed; the
#               shim as a user who cannot read the trust directory (0700)
#               fails closed with an alert saying what it cannot read
#   garbage     the config replaced by random bytes, then SIGHUP (vouchfs,
#               vouchd: refused, old trust kept, said); a new shimmed process
#               and the CLI with it: fail closed or refuse to run (the shim
#               went inert and served the tampered file: kept failing here);
#               junk after a [vouch] protect line: the shim fails closed
# Fails, as found (issue 19): vouchd with a full syslog queue (its broker
# blocks in syslog(3)); the shim with a VOUCH_CONFIG of random bytes (inert:
# the tampered file is served).
. "$VOUCH_SRC/tests/attacks/lib.sh"
at_setup 2g
at_model "$ROOT/m"; cp "$ROOT/m/model.bin" "$TMPDIR/m.ref"; cp "$ROOT/m/config.json" "$TMPDIR/mc.ref"
at_model "$ROOT/t"; at_taint "$ROOT/t/model.bin" 5000
mkbig() { # DIR: 1 GiB, a hole with random MiBs at both ends, signed, then tampered at the end
	mkdir -p "$1"; truncate -s 1G "$1/model.bin"
	head -c 1048576 /dev/urandom | dd of="$1/model.bin" bs=1M seek=0 conv=notrunc status=none
	head -c 1048576 /dev/urandom | dd of="$1/model.bin" bs=1M seek=1023 conv=notrunc status=none
	at_sign "$1"
	at_taint "$1/model.bin" $((1073741824 - 100))
}
mkbig "$ROOT/bb"; mkbig "$ROOT/bc"
sleep 1.1
rchar() { awk '/^rchar:/ { print $2 }' "/proc/$1/io" 2>/dev/null || echo 0; }
# midhash PID BGPID: wait until PID has read 128 MiB more while BGPID runs.
midhash() {
	base=$(rchar "$1")
	for _ in $(seq 1000); do
		kill -0 "$2" 2>/dev/null || return 1
		[ $(( $(rchar "$1") - base )) -ge $((128 << 20)) ] && return 0
		sleep 0.005
	done
	return 1
}
# served_ok FE: the verified good file still opens, the tampered one not.
served_ok() {
	fe_expect_allow "$1" m/model.bin "$TMPDIR/m.ref"
	fe_expect_deny "$1" t/model.bin hash-mismatch
}
# at_rec on syslog alone (the JSON log is what failed, or is off).
syslog_rec() { # DECISION CAUSE PATH
	AT_JM=$(wc -l <"$AT_AUDIT" 2>/dev/null || echo 0)
	"$PY" - "$SYSLOG" "$AT_SM" "$@" <<'PYEOF'
import re, sys, time
syslog, sm, decision, cause, path = sys.argv[1:6]
end = time.monotonic() + 3
while time.monotonic() < end:
    for l in open(syslog, errors="replace").read().splitlines()[int(sm):]:
        if re.match(r"<81>vouch\[\d+\]: decision=%s cause=%s mode=\S+ path=%s " % (decision, cause, re.escape(path)), l):
            print("ok"); sys.exit(0)
    time.sleep(0.05)
print("no syslog alert decision=%s cause=%s path=%s" % (decision, cause, path)); sys.exit(1)
PYEOF
}

# ---- kill mid-hash --------------------------------------------------------------
for fe in $AT_FES; do
	case $fe in
	shim) at_note shim "fault: killed mid-hash" "n/a: the shim is the reading process" ;;
	cli)
		"$VOUCH" verify -c "$AT_CONF" "$ROOT/bb" >"$TMPDIR/k.out" 2>&1 &
		AT_BG=$!
		sleep 0.05
		p=$(pgrep -n -f "bin/vouch verify -c $AT_CONF $ROOT/bb")
		if [ -n "$p" ] && midhash "$p" "$AT_BG"; then
			kill -9 "$p"; wait "$AT_BG"; rc=$?
			[ $rc -ne 0 ] && ! grep -q verified "$TMPDIR/k.out" ||
				at_bad "CLI killed mid-hash: exit $rc: $(cat "$TMPDIR/k.out")"
			at_note cli "fault: killed mid-hash" "fails: exit $rc, no verdict printed"
		else
			wait "$AT_BG"; at_bad "CLI: could not kill it mid-hash"
		fi ;;
	fs)
		at_start fs
		fe_read_bg fs bb/model.bin "$TMPDIR/k.out"
		if midhash "$FS_PID" "$AT_BG"; then
			kill -9 "$FS_PID"; wait "$AT_BG"
			fe_parse "$(cat "$TMPDIR/k.out")"
			[ "$AT_M" = 0 ] && [ "$AT_V" = deny ] ||
				at_bad "vouchfs killed mid-hash: the waiting open got: $AT_GOT"
			fe_read fs m/model.bin
			[ "$AT_V" = deny ] && [ "$AT_M" = 0 ] || at_bad "vouchfs dead: a new open got $AT_GOT"
			dead=$AT_ERR
			fs_mount "$ROOT" "$MNT" -c "$AT_CONF"         # stacks on the dead mount
			[ "$(fs_layers "$MNT")" -eq 2 ] || at_bad "the restart did not stack on the dead mount"
			fe_expect_deny fs bb/model.bin hash-mismatch
			served_ok fs
			at_note fs "fault: killed mid-hash" "fails closed: the waiting open and new ones $dead; restarted on the dead mount: denied (hash-mismatch), good served"
		else
			wait "$AT_BG"; at_bad "vouchfs: could not kill it mid-hash: $(cat "$TMPDIR/k.out")"
		fi
		at_stop fs ;;
	vouchd)
		at_start vouchd
		at_marks
		fe_read_bg vouchd bb/model.bin "$TMPDIR/k.out"
		w=$(vd_worker)
		if midhash "$w" "$AT_BG"; then
			kill -9 "$w"; wait "$AT_BG"
			fe_parse "$(cat "$TMPDIR/k.out")"
			r=$(at_rec deny hash-mismatch "$ROOT/bb/model.bin")
			if [ "$AT_V" = deny ] && [ "$AT_M" = 0 ] && [ "${r%% *}" = ok ]; then
				at_note vouchd "fault: worker killed mid-hash" "denied (hash-mismatch) by the next worker, logged"
			else
				at_bad "vouchd worker killed mid-hash: $AT_GOT; $r"
			fi
			grep -q "worker $w was killed by signal 9" "$VD_ERR" || at_bad "vouchd: the worker's death not logged"
			served_ok vouchd
		else
			wait "$AT_BG"; at_bad "vouchd: could not kill the worker mid-hash"
		fi
		at_stop vouchd ;;
	esac
done

# ---- the JSON audit log on a full disk ------------------------------------------
FULL=$TMPDIR/full
mkdir -p "$FULL"
mount -t tmpfs -o size=64k tmpfs "$FULL" || fail "mount tmpfs"
OAUDIT=$AT_AUDIT
AT_AUDIT=$FULL/audit.jsonl VD_AUDIT=$FULL/audit.jsonl
for fe in $AT_FES; do
	at_conf
	: >"$AT_AUDIT"
	at_start "$fe"
	dd if=/dev/zero of="$FULL/filler" bs=4k 2>/dev/null
	AT_SM=$(wc -l <"$SYSLOG")
	for i in 1 2 3 4 5 6 7 8; do fe_read "$fe" t/model.bin; done    # fill the log's last page
	AT_SM=$(wc -l <"$SYSLOG")
	fe_read "$fe" t/model.bin
	r=$(syslog_rec deny hash-mismatch "$(at_recpath "$fe" t/model.bin)")
	[ "$AT_V" = deny ] && [ "$AT_M" = 0 ] && [ "$r" = ok ] || at_bad "$(fe_name "$fe") disk full: tampered: $AT_GOT; $r"
	fe_read "$fe" m/model.bin
	[ "$AT_V" = allow ] && [ "$AT_SHA" = "$(sha256sum <"$TMPDIR/m.ref" | cut -d' ' -f1)" ] ||
		at_bad "$(fe_name "$fe") disk full: the good file: $AT_GOT"
	syslog_wait "audit: writing the audit log $AT_AUDIT failed \\(No space left on device\\)" 5
	at_note "$fe" "fault: audit log disk full" "decisions unchanged (tampered denied, good served); syslog alert names the log and ENOSPC"
	at_stop "$fe"
	rm -f "$FULL/filler"
done
umount "$FULL"
AT_AUDIT=$OAUDIT VD_AUDIT=$OAUDIT
at_conf

# ---- state_dir read-only ----------------------------------------------------------
at_model "$ROOT/nv" --name nv
at_model "$ROOT/nw" --name nw
for fe in $AT_FES; do
	case $fe in
	shim) at_note shim "fault: state_dir read-only" "n/a: the shim only reads the marks" ; continue ;;
	cli)
		mount --bind "$STATE" "$STATE" && mount -o remount,bind,ro "$STATE" || fail "ro bind"
		OUT=$("$VOUCH" verify --record -c "$AT_CONF" "$ROOT/nv" 2>&1); rc=$?
		umount "$STATE"
		if [ $rc -ne 0 ]; then
			at_note cli "fault: state_dir read-only" "verify --record fails (exit $rc): $(printf '%s' "$OUT" | grep -v signers | head -n 1 | cut -c1-90)"
		else
			at_bad "CLI verify --record with a read-only state_dir: exit 0: $OUT"
		fi
		continue ;;
	esac
	at_start "$fe"
	fe_expect_allow "$fe" m/model.bin "$TMPDIR/m.ref"               # its mark is written now
	mount --bind "$STATE" "$STATE" && mount -o remount,bind,ro "$STATE" || fail "ro bind"
	served_ok "$fe"
	at_marks
	fe_read "$fe" "$([ "$fe" = fs ] && echo nv || echo nw)/model.bin"
	got=$AT_GOT
	rec=$(tail -n +"$((AT_JM + 1))" "$AT_AUDIT" | grep -F '/model.bin"' | grep -o '"decision":"[a-z-]*","cause":"[a-z-]*"' | head -n 1)
	det=$(tail -n +"$((AT_JM + 1))" "$AT_AUDIT" | grep -F '/model.bin"' | sed -n 's/.*"detail":"\([^"]*\)".*/\1/p' | head -n 1)
	case $AT_V in
	deny) at_note "$fe" "fault: state_dir read-only" "fails closed: a first version whose mark cannot be written is denied ($rec: $det); verified files still served" ;;
	allow) at_note "$fe" "fault: state_dir read-only" "served without its mark: a first version is allowed although its mark cannot be written ($rec ${det:+: $det}); tampered still denied" ;;
	*) at_bad "$(fe_name "$fe") read-only state: $got" ;;
	esac
	echo "  $(fe_name "$fe"), state_dir read-only, a first version: $got ($rec $det)"
	umount "$STATE"
	at_stop "$fe"
done

# ---- syslog gone, then deaf -----------------------------------------------------------
deaf_start() {
	rm -f /dev/log
	"$PY" -c 'import os, signal, socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind("/dev/log"); os.chmod("/dev/log", 0o666)
signal.pause()' &
	DEAF=$!
	for _ in $(seq 50); do [ -S /dev/log ] && break; sleep 0.05; done
}
DEAF=""
AT_HOOK='[ -n "$DEAF" ] && kill $DEAF'
for how in gone deaf; do
	syslog_stop
	rm -f /dev/log
	[ $how = deaf ] && deaf_start
	for fe in $AT_FES; do
		if [ "$fe:$how" = vouchd:deaf ]; then
			# The receiver's queue is full by now (the front ends above
			# filled it): vouchd must still start and answer.
			t0=$(date +%s%N)
			c=$(grep -c "enforcing" "$VD_ERR")
			"$VOUCHD" -f -c "$VD_CONF" --audit-log "$VD_AUDIT" --control "$VD_CTL" 2>>"$VD_ERR" &
			VD_PID=$!; VD_PIDS="$VD_PIDS $VD_PID"
			for _ in $(seq 200); do [ "$(grep -c "enforcing" "$VD_ERR")" -gt "$c" ] && break; sleep 0.05; done
			up=$(( ($(date +%s%N) - t0) / 1000000 ))
			AT_READ_TIMEOUT=10 fe_read vouchd m/config.json
			ms=$(( ($(date +%s%N) - t0) / 1000000 ))
			if [ "$AT_V" = allow ] && [ "$up" -lt 10000 ]; then
				at_note vouchd "fault: syslog deaf" "started in $up ms, answered"
			else
				at_bad "vouchd with a deaf syslog receiver (full queue): enforcing after $up ms, an open of a good file after $ms ms: $AT_GOT; broker in $(cat "/proc/$VD_PID/wchan" 2>/dev/null)"
				at_note vouchd "fault: syslog deaf" "HOLE (hang): with the receiver's queue full, the broker blocks in syslog(3): enforcing after $up ms, a good open still unanswered after $ms ms"
			fi
			vd_kill_all
			continue
		fi
		at_start "$fe"
		t0=$(date +%s%N)
		AT_JM=$(wc -l <"$AT_AUDIT")
		# (A new process (CLI, shim) waits up to 1 s for room in a deaf
		# receiver's queue before it gives syslog up: fewer of those.)
		n=0 N=12
		case $fe in cli|shim) N=3 ;; esac
		for i in $(seq $N); do
			AT_READ_TIMEOUT=20 fe_read "$fe" t/model.bin
			[ "$AT_V" = deny ] && [ "$AT_M" = 0 ] && n=$((n + 1))
		done
		AT_READ_TIMEOUT=20 fe_read "$fe" m/config.json
		ms=$(( ($(date +%s%N) - t0) / 1000000 ))
		[ $n -eq $N ] && [ "$AT_V" = allow ] || at_bad "$(fe_name "$fe") syslog $how: $n/$N denied, good: $AT_GOT"
		for _ in $(seq 60); do
			[ "$(tail -n +"$((AT_JM + 1))" "$AT_AUDIT" | grep -c '"decision":"deny","cause":"hash-mismatch"')" -ge $N ] && break
			sleep 0.05
		done
		j=$(tail -n +"$((AT_JM + 1))" "$AT_AUDIT" | grep -c '"decision":"deny","cause":"hash-mismatch"')
		[ "$j" -ge $N ] || at_bad "$(fe_name "$fe") syslog $how: $j/$N deny records in the JSON log"
		for _ in $(seq 40); do grep -q 'syslog (/dev/log) does not take records' "$AT_AUDIT" && break; sleep 0.05; done
		grep -q 'syslog (/dev/log) does not take records' "$AT_AUDIT" || at_bad "$(fe_name "$fe") syslog $how: the JSON log does not say syslog fails"
		at_note "$fe" "fault: syslog $how" "$((N + 1)) opens answered in $ms ms ($N denied, good served); every record in the JSON log, which says syslog fails"
		at_stop "$fe"
	done
	[ -n "$DEAF" ] && { kill "$DEAF"; wait "$DEAF" 2>/dev/null; DEAF=""; }
	rm -f /dev/log
done
at_syslog_start

# ---- trust dir gone / unreadable; config garbage; then SIGHUP --------------------------
hup() { # FE: SIGHUP and wait for its answer on stderr / in the log
	case $1 in
	fs) kill -HUP "$FS_PID" ;;
	vouchd) kill -HUP "$VD_PID" ;;
	esac
	sleep 0.5
}
for fault in trust garbage; do
	for fe in $AT_FES; do
		at_conf
		case $fe in
		fs|vouchd)
			at_start "$fe"
			served_ok "$fe"
			AT_SM=$(wc -l <"$SYSLOG")
			if [ $fault = trust ]; then mv "$TMPDIR/trust" "$TMPDIR/trust.gone"
			else head -c 2000 /dev/urandom >"$AT_CONF"; fi
			hup "$fe"
			syslog_wait "reload refused, (the )?old trust stays in force" 5
			served_ok "$fe"
			kill -0 "$([ "$fe" = fs ] && echo "$FS_PID" || echo "$VD_PID")" || at_bad "$(fe_name "$fe") died on the reload"
			at_note "$fe" "fault: $fault, then SIGHUP" "reload refused, old trust kept (verified served, tampered denied), said in syslog"
			[ $fault = trust ] && mv "$TMPDIR/trust.gone" "$TMPDIR/trust"
			at_conf
			at_stop "$fe" ;;
		cli)
			if [ $fault = trust ]; then mv "$TMPDIR/trust" "$TMPDIR/trust.gone"; else head -c 2000 /dev/urandom >"$AT_CONF"; fi
			OUT=$("$VOUCH" verify -c "$AT_CONF" "$ROOT/m" 2>&1); rc=$?
			[ $fault = trust ] && mv "$TMPDIR/trust.gone" "$TMPDIR/trust"
			[ $rc -ne 0 ] && ! printf '%s' "$OUT" | grep -q ': verified' ||
				at_bad "CLI with the $fault fault: exit $rc: $OUT"
			at_note cli "fault: $fault" "refuses (exit $rc): $(printf '%s' "$OUT" | head -n 1 | cut -c1-80)" ;;
		shim)
			if [ $fault = trust ]; then mv "$TMPDIR/trust" "$TMPDIR/trust.gone"; else head -c 2000 /dev/urandom >"$AT_CONF"; fi
			AT_SM=$(wc -l <"$SYSLOG")
			fe_read shim t/model.bin; tg=$AT_GOT tm=$AT_M
			fe_read shim m/model.bin; mg=$AT_GOT
			[ $fault = trust ] && mv "$TMPDIR/trust.gone" "$TMPDIR/trust"
			[ "$tm" = 0 ] || at_bad "shim with the $fault fault: THE TAMPERED FILE WAS READ ($tg)"
			case $mg in
			deny*)
				syslog_wait "preload: .*failing closed" 5
				at_note shim "fault: $fault (new process)" "fails closed: every protected read denied, one alert (failing closed)" ;;
			allow*)
				if [ "$tm" = 0 ]; then
					at_note shim "fault: $fault (new process)" "tampered denied, good served"
				else
					at_note shim "fault: $fault (new process)" "HOLE (fails open): the config, named by VOUCH_CONFIG, names no root it can parse: the shim goes inert (one alert) and the tampered file is served"
				fi ;;
			*"(VOUCH_CONFIG)"*"stopping"*"before it starts"*)
				syslog_wait "preload: .*VOUCH_CONFIG.*stopping" 5
				at_note shim "fault: $fault (new process)" "fails closed: the program is stopped before it starts (exit 126), one alert naming the config and why" ;;
			*) at_bad "shim with the $fault fault: $mg" ;;
			esac ;;
		esac
	done
done
# The garbage config, but one that still names the root ([vouch] protect
# first, junk after): the shim must fail closed on that root.
at_conf; head -c 500 /dev/urandom | tr -d '\000' >>"$AT_CONF"
for fe in $AT_FES; do
	[ "$fe" = shim ] || continue
	AT_SM=$(wc -l <"$SYSLOG")
	fe_read shim m/model.bin
	[ "$AT_V" = deny ] || at_bad "shim, a config with junk after protect: the good file: $AT_GOT"
	syslog_wait "failing closed" 5
	at_note shim "fault: junk after [vouch] protect" "fails closed on that root, alert: failing closed"
done
at_conf
# The shim as a user who cannot read the trust directory.
chmod 0755 "$TMPDIR"
chmod 0700 "$TMPDIR/trust"
pl_public; trap at_cleanup EXIT; AT_HOOK="$AT_HOOK; rm -rf '$PL_PUB'"
cp "$AREAD" "$PL_PUB/"; chmod 0755 "$PL_PUB/attack-read"
for fe in $AT_FES; do
	[ "$fe" = shim ] || continue
	AT_SM=$(wc -l <"$SYSLOG")
	OUT=$(setpriv --reuid 65534 --regid 65534 --clear-groups env LD_PRELOAD="$PRELOAD" VOUCH_CONFIG="$AT_CONF" \
		"$PL_PUB/attack-read" -x "$MARKER" "$ROOT/m/model.bin" 2>&1)
	case $OUT in
	"deny errno=EACCES")
		syslog_wait "preload: .*/trust: Permission denied; failing closed" 5
		at_note shim "fault: trust dir unreadable by the service user" "fails closed: every protected read denied, alert names what it cannot read" ;;
	*)	at_bad "shim as nobody with the trust dir 0700: $OUT" ;;
	esac
done
chmod 0755 "$TMPDIR/trust"
at_done "faults: every front end fails closed and says why"
