#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-stream-cases: the vouchfs cases that apply to verify = stream, run again
# with every mount made -o verify=stream (VOUCHFS_VERIFY, tests/fs-lib.sh).
# Where a case asserts EACCES at open for changed content it asserts instead
# that the first read of the bad range fails with EIO ($FS_TAMPERED).  Not
# run again: cases about hash timing (fs-concurrent, fs-race, fs-reload-stall,
# fs-rollback-race: a streamed open does not wait on a hash), about receipts
# or verdicts kept across reloads (fs-receipts, fs-reload-keep: a streamed
# allow keeps no content result), and the loader cases whose tampered-file
# step expects the open to fail (fs-torch, fs-numpy, fs-joblib, fs-nginx,
# fs-kill, fs-change, fs-allow-other): fs-stream.sh tries torch, numpy (and
# mmap) and a read loop against a bad shard itself.
. "$VOUCH_SRC/tests/lib.sh"
VOUCHFS_VERIFY=stream; export VOUCHFS_VERIFY
rc=0
for c in fs-basic fs-hash-types fs-mmap fs-cosig-rewrite fs-policy fs-trust-count fs-rotation \
	 fs-interop fs-lifecycle fs-badconf fs-runbooks; do
	d=$(mktemp -d "$TMPDIR/$c.XXXXXX")
	if (cd "$d" && TMPDIR=$d sh "$VOUCH_SRC/tests/cases/$c.sh") >"$d.log" 2>&1; then
		ok "$c with verify=stream"
	else
		echo "FAIL: $c with verify=stream:" >&2
		tail -n 15 "$d.log" >&2
		rc=1
	fi
done
exit $rc
