#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# docs-consistency: the documentation says what the tools accept.
#  - every key the config loader accepts (asked of the loader itself, for
#    every identifier-like string in src/lib/config.c) is described in
#    vouch.conf(5) and present in config/vouch.conf, which the README says
#    documents every key;
#  - every option each program's --help lists is in its man page: for each
#    vouch command, in that command's SYNOPSIS line or COMMANDS entry of
#    vouch(1); for vouchfs (and each -o suboption), in vouchfs(1); for
#    vouchd, in vouchd(8); each
#    command `vouch --help` lists has an entry in vouch(1);
#  - what `make install` puts where a page must say: the preload drop-in's
#    install path is named in libvouch-preload(8) and docs/preload.md.
. "$VOUCH_SRC/tests/lib.sh"
MAN=$VOUCH_SRC/man
bad=0
miss() { echo "MISSING: $*" >&2; bad=1; }

# roff to plain text: \- is -, font escapes go, \e is a backslash.
plain() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\e/\\/g' -e 's/\\(em/-/g' "$1"; }

# --- config keys ----------------------------------------------------------
keys=""
for w in $(grep -o '"[a-z][a-z_]*"' "$VOUCH_SRC/src/lib/config.c" | tr -d '"' | sort -u); do
	printf '[vouch]\n%s = @\n' "$w" >"$TMPDIR/k.conf"
	chmod 0644 "$TMPDIR/k.conf"
	out=$("$VOUCH" verify -c "$TMPDIR/k.conf" "$TMPDIR/none" 2>&1)
	case "$out" in *"(unknown key)"*) continue ;; esac
	keys="$keys $w"
done
[ -n "$keys" ] || fail "no config key found (the loader's messages changed?)"
plain "$MAN/vouch.conf.5" >"$TMPDIR/conf5.txt"
for k in $keys; do
	# An item header (.B/.BR after .TP) naming the key, alone or in a list.
	awk 'prev == ".TP" { print } { prev = $0 }' "$TMPDIR/conf5.txt" |
		grep -Eq "^\.BR? (.*[ ,])?$k( |,|$)" || miss "vouch.conf(5) has no entry for key '$k'"
	grep -Eq "^#? ?$k = " "$VOUCH_SRC/config/vouch.conf" || miss "config/vouch.conf has no '$k = ' line"
done
echo "config keys the loader accepts:$keys"

# --- vouch: each command's --help options in its part of vouch(1) -----------
plain "$MAN/vouch.1" >"$TMPDIR/vouch1.txt"
cmds=$("$VOUCH" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }')
[ -n "$cmds" ] || fail "vouch --help lists no command"
for c in $cmds; do
	# SYNOPSIS: from ".B vouch C" to the next .br; COMMANDS: ".B C" after .TP to the next .TP.
	awk -v c="$c" '
		/^\.SH / { sec = $2 }
		sec == "SYNOPSIS" && $0 == ".B vouch " c { on = 1 }
		sec == "SYNOPSIS" && on && /^\.br/ { on = 0 }
		sec == "COMMANDS" && prev == ".TP" && $0 == ".B " c { on = 1 }
		sec == "COMMANDS" && on && /^\.TP/ && prev != "" && $0 != ".B " c && started { on = 0 }
		on { print; started = 1 }
		{ prev = $0 }
	' "$TMPDIR/vouch1.txt" >"$TMPDIR/sect.txt"
	[ -s "$TMPDIR/sect.txt" ] || { miss "vouch(1) has no SYNOPSIS line or COMMANDS entry for '$c'"; continue; }
	"$VOUCH" "$c" --help >"$TMPDIR/help.txt" 2>&1
	# Options: the usage lines (to the first blank line) and the option
	# lines (indented, starting with a dash); not words in the prose.
	awk 'NR == 1 || u { u = $0 != ""; print; next } /^ +-/ && match($0, /^ +/) && RLENGTH <= 8' \
		"$TMPDIR/help.txt" >"$TMPDIR/opts.txt"
	for o in $(grep -Eo -- '(^|[ ,(|[])--[a-z][a-z0-9-]*' "$TMPDIR/opts.txt" | sed 's/^.*--/--/' | sort -u); do
		case "$o" in --help|--version) continue ;; esac
		grep -q -- "$o" "$TMPDIR/sect.txt" || miss "vouch $c --help lists $o; vouch(1) does not, for $c"
	done
	# Short options with no long form on their help line.
	for o in $(grep -Eo -- '^ +-[a-zA-Z]( |$)' "$TMPDIR/help.txt" | tr -d ' ' | sort -u); do
		[ "$o" = -h ] && continue
		grep -Eq -- "(^|[ (|[])$o( |$)" "$TMPDIR/sect.txt" || miss "vouch $c --help lists $o; vouch(1) does not, for $c"
	done
done

# --- vouchfs ------------------------------------------------------------------
plain "$MAN/vouchfs.1" >"$TMPDIR/vouchfs1.txt"
"$VOUCHFS" --help >"$TMPDIR/help.txt" 2>&1
for o in $(grep -Eo -- '(^|[ ,])--[a-z][a-z0-9-]*' "$TMPDIR/help.txt" | sed 's/^.*--/--/' | sort -u); do
	grep -q -- "$o" "$TMPDIR/vouchfs1.txt" || miss "vouchfs --help lists $o; vouchfs(1) does not"
done
for o in $(grep -Eo -- '^ +-[a-zA-Z],? ' "$TMPDIR/help.txt" | tr -d ' ,' | sort -u); do
	grep -Eq -- "(^|[ (])$o( |,|$)" "$TMPDIR/vouchfs1.txt" || miss "vouchfs --help lists $o; vouchfs(1) does not"
done
# -o suboptions: the words in the column after "-o OPT[,OPT...]".
for o in $(awk '/^  -o / { on = 1 } on && /^  -[a-z-]/ && !/^  -o / { on = 0 }
		on { sub(/^  -o OPT\[,OPT\.\.\.\] */, ""); sub(/^ +/, ""); if ($1 ~ /^[a-z_]+(=[A-Z]+)?$/) print $1 }' \
		"$TMPDIR/help.txt" | sed 's/=.*/=/' | sort -u); do
	grep -q -- "$o" "$TMPDIR/vouchfs1.txt" || miss "vouchfs --help lists -o $o; vouchfs(1) does not"
done

# --- vouchd -----------------------------------------------------------------
VOUCHD=$VOUCH_BUILD/bin/vouchd
plain "$MAN/vouchd.8" >"$TMPDIR/vouchd8.txt"
"$VOUCHD" --help >"$TMPDIR/help.txt" 2>&1 || miss "vouchd --help failed"
for o in $(grep -Eo -- '(^|[ ,])--[a-z][a-z0-9-]*' "$TMPDIR/help.txt" | sed 's/^.*--/--/' | sort -u); do
	grep -q -- "$o" "$TMPDIR/vouchd8.txt" || miss "vouchd --help lists $o; vouchd(8) does not"
done
for o in $(grep -Eo -- '^ +-[a-zA-Z],? ' "$TMPDIR/help.txt" | tr -d ' ,' | sort -u); do
	grep -Eq -- "(^|[ (])$o( |,|$)" "$TMPDIR/vouchd8.txt" || miss "vouchd --help lists $o; vouchd(8) does not"
done

# --- install locations -----------------------------------------------------
grep -q 'share/vouch' "$VOUCH_SRC/Makefile" || fail "the Makefile no longer installs under share/vouch (update this test)"
for f in "$MAN/libvouch-preload.8" "$VOUCH_SRC/docs/preload.md"; do
	plain "$f" | grep -q 'share/vouch/vouch-preload.conf' || miss "$f does not say where make install puts the drop-in"
done

[ "$bad" -eq 0 ] || fail "the documentation is out of step with the tools (above)"
ok "every config key and every --help option is documented"
