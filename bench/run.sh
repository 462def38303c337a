#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# bench/run.sh - `make bench`: every benchmark, each printing its own table.
#   bench/hash.sh     vouch verify vs sha256sum vs openssl dgst (issue 3)
#   bench/fs.sh       vouchfs overhead (when present)
#   bench/preload.sh  LD_PRELOAD shim overhead (when present)
#   bench/audit.sh    open latency with a deaf syslog receiver; reloads under
#                     load (issue 16)
#   bench/vouchd.sh   vouchd: first open vs vouch verify, round trip per open,
#                     exec, 16 pre-fork first opens via shim (issue 18; root)
#   bench/receipts.sh first open of a verified 4 GiB model after a vouchfs
#                     restart, with receipts vs hashed (issue 18)
#   bench/load.sh     64 clients on a 2 GiB tree through vouchfs with SIGHUPs,
#                     16 shimmed processes: opens/s, latency, RSS, verdicts,
#                     denials logged (issue 19)
#   bench/hash-types.sh vouch verify and a vouchfs first open of BLAKE3/BLAKE2b-signed
#                     files vs b3sum and SHA-256 (issue 20)
#   bench/blake3.sh   BLAKE3 vs b3sum (1 thread, all cores) and SHA-256 (issue 20)
#   bench/query.sh    vouch query over 1,000 signed models with SBOMs (issue 22)
#   bench/stream.sh   vouchfs verify=stream vs open: torch.load, first byte of
#                     1/4/16 GiB, first read, busy open, reopen floor (issue 21)
#   bench/scan.sh     vouch scan of 1,000 models (--no-hash and full) and of
#                     N GiB (issue 23)
# Every script runs even when an earlier one fails; the exit status is the
# first failure's (1 = a target missed, 2 = setup error), 0 when all passed.
cd "$(dirname "$0")/.." || exit 2
rc=0
for b in bench/hash.sh bench/hash-types.sh bench/fs.sh bench/preload.sh bench/audit.sh bench/receipts.sh bench/vouchd.sh bench/load.sh bench/blake3.sh bench/query.sh bench/stream.sh bench/scan.sh; do
	[ -x "$b" ] || continue
	echo "==> $b"
	"$b"
	r=$?
	[ $r -ne 0 ] && [ $rc -eq 0 ] && rc=$r
	echo
done
exit $rc
