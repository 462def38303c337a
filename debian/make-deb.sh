#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# debian/make-deb.sh BUILD - what `make deb` runs, from the top of the source.
#
# Builds the binary package with dpkg-buildpackage in a copy of the source
# under BUILD/deb/ (never in the tree: dpkg-buildpackage writes debian/vouch,
# debian/files, debian/.debhelper, ... and its results into the parent
# directory), and leaves BUILD/vouch_VERSION_ARCH.deb (also in BUILD/deb/,
# with the .buildinfo, the .changes and the -dbgsym package).  Prints the
# package's path last.
#
# What is copied: in a git checkout, the files git knows or would add
# (tracked and untracked but not ignored, as they are in the work tree);
# otherwise (a release tarball) everything but .git and build output.
#
# The version (debian/changelog's top entry is rewritten in the copy):
#   DEB_VERSION=V in the environment   V, as given
#   HEAD tagged vX.Y.Z                 X.Y.Z
#   N commits after tag vX.Y.Z         X.Y.Z+gitN.gHASH
#   no tag (VERSION file says X.Y.Z)   X.Y.Z~gitCOUNT.gHASH   (COUNT: commits
#                                      in HEAD; '~' sorts before the release)
#   no git                             the VERSION file
# with ".dirty" (or "+dirty") appended when tracked files are modified.  A
# tag's '-' becomes '~' (v1.0-rc1: 1.0~rc1, before 1.0).  The result must
# pass dpkg --validate-version.
set -eu

BUILD=${1:-build}
src=$(pwd)
say() { echo "make deb: $*" >&2; }
die() { say "$*"; exit 1; }

[ -f debian/control ] && [ -f debian/rules ] || die "run from the top of the source (make deb)"
for t in dpkg-buildpackage dh dpkg-checkbuilddeps; do
	command -v "$t" >/dev/null 2>&1 ||
		die "missing $t: apt-get install debhelper devscripts dpkg-dev (make deps)"
done

# --- the version -----------------------------------------------------------
in_git=no
if command -v git >/dev/null 2>&1 &&
   top=$(git rev-parse --show-toplevel 2>/dev/null) && [ "$top" -ef "$src" ]; then
	in_git=yes
fi
upstream=$(cat VERSION 2>/dev/null || true)
if [ -n "${DEB_VERSION:-}" ]; then
	version=$DEB_VERSION
elif [ "$in_git" = yes ]; then
	hash=$(git rev-parse --short=7 HEAD)
	if desc=$(git describe --tags --long --match 'v[0-9]*' 2>/dev/null); then
		# vX.Y.Z-N-gHASH (the tag itself may contain '-')
		n=$(echo "$desc" | sed 's/^.*-\([0-9][0-9]*\)-g[0-9a-f]*$/\1/')
		tag=$(echo "$desc" | sed 's/-[0-9][0-9]*-g[0-9a-f]*$//; s/^v//; s/-/~/g')
		if [ "$n" = 0 ]; then version=$tag; else version="$tag+git$n.g$hash"; fi
	else
		[ -n "$upstream" ] || die "no tag v* and no VERSION file: cannot make a version"
		version="$upstream~git$(git rev-list --count HEAD).g$hash"
	fi
	if ! git diff --quiet HEAD -- 2>/dev/null; then
		case $version in
		*[+~]*) version="$version.dirty" ;;
		*) version="$version+dirty" ;;
		esac
	fi
else
	[ -n "$upstream" ] || die "not a git checkout and no VERSION file: cannot make a version"
	version=$upstream
fi
dpkg --validate-version "$version" >/dev/null 2>&1 || die "'$version' is not a valid Debian version"
case $version in *-*) die "'$version': a native package's version has no '-'" ;; esac

# --- the copy ----------------------------------------------------------------
mkdir -p "$BUILD"
out=$(cd "$BUILD" && pwd)/deb
# dpkg-buildpackage writes its results beside the tree: into $out.
mkdir -p "$out"
rm -rf "$out"/vouch-*/
tree=$out/vouch-$version
mkdir -p "$tree"
if [ "$in_git" = yes ]; then
	# Tracked files deleted in the work tree are skipped.
	git ls-files -z --cached --others --exclude-standard |
		xargs -0 sh -c 'for f; do [ -e "$f" ] || [ -L "$f" ] && printf "%s\0" "$f"; done; :' sh |
		tar --null --no-recursion -T - -cf - | tar -xf - -C "$tree"
else
	bdir=$(cd "$BUILD" && pwd)
	tar --exclude=./.git --exclude=./build --exclude='./build-*' \
		--exclude="./${bdir#"$src"/}" -cf - . | tar -xf - -C "$tree"
fi
[ -f "$tree/debian/rules" ] || die "the copy has no debian/rules"

# debian/changelog: the top entry gets the version (its text and date stay).
first=$(head -n 1 "$tree/debian/changelog")
sed -i "1s/^vouch ([^)]*)/vouch ($version)/" "$tree/debian/changelog"
[ "$(head -n 1 "$tree/debian/changelog")" != "$first" ] ||
	grep -q "^vouch ($version)" "$tree/debian/changelog" || die "cannot set the version in debian/changelog"

# --- the build -----------------------------------------------------------------
# Nothing of the calling make reaches the package build (a `make deb
# PREFIX=...` must not change the package's paths).
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES || true
jobs=$(nproc 2>/dev/null || echo 1)
log=$out/dpkg-buildpackage.log
say "building vouch $version in $tree (log: $log)"
rm -f "$out"/vouch_*.deb "$out"/vouch-dbgsym_*.deb "$out"/vouch_*.changes "$out"/vouch_*.buildinfo
if ! (cd "$tree" && dpkg-buildpackage -b -us -uc -J"$jobs") >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	die "dpkg-buildpackage failed (whole log: $log)"
fi
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=vouch_${version}_$arch.deb
[ -f "$out/$deb" ] || die "dpkg-buildpackage did not make $deb"
rm -f "$BUILD"/vouch_*.deb
ln -f "$out/$deb" "$BUILD/$deb" 2>/dev/null || cp "$out/$deb" "$BUILD/$deb"
rm -rf "$tree"
say "built; check it with: lintian --pedantic $out/vouch_${version}_$arch.changes"
echo "$BUILD/$deb"
