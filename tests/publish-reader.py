#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# A reader looping through a mount while `vouch publish` swaps versions:
#   publish-reader.py STOPFILE OUT.json MODELDIR FILE...
# Each round opens MODELDIR/FILE for every FILE, reads it whole and hashes
# it.  Records, per file, how often each digest was read and each errno
# seen; OUT.json gets {"rounds": N, "digests": {file: {sha: n}},
# "errors": {file: {errname: n}}}.  Stops when STOPFILE exists.
import errno, hashlib, json, os, sys

stop, out, model = sys.argv[1], sys.argv[2], sys.argv[3]
files = sys.argv[4:]
digests = {f: {} for f in files}
errors = {f: {} for f in files}
rounds = 0
while not os.path.exists(stop):
    rounds += 1
    for f in files:
        try:
            with open(os.path.join(model, f), "rb") as fh:
                h = hashlib.sha256()
                while True:
                    b = fh.read(1 << 20)
                    if not b:
                        break
                    h.update(b)
            d = h.hexdigest()
            digests[f][d] = digests[f].get(d, 0) + 1
        except OSError as e:
            name = errno.errorcode.get(e.errno, str(e.errno))
            errors[f][name] = errors[f].get(name, 0) + 1
with open(out, "w") as fh:
    json.dump({"rounds": rounds, "digests": digests, "errors": errors}, fh)
