#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""resign.py - rewrite the signed statement of a vouch/OMS bundle for tests.

  resign.py IN OUT KEY CODE [noroot]

Decodes IN's DSSE payload, parses it into `st` and runs CODE (Python) with
`st`, `raw` (None) and `dump(obj)` (vouch's compact, sorted serialization) in
scope.  CODE edits `st`, or sets `raw` to exact payload bytes (for what JSON
cannot express: invalid UTF-8, duplicate keys).  Unless "noroot" is given, the
root subject digest is recomputed over predicate.resources (docs/format.md,
"Root digest") so the parser reaches the check under test.  Then, unless KEY is "-", the new
payload is signed with KEY (an Ed25519 PEM private key) over the DSSE PAE
with `openssl pkeyutl -sign -rawin`, so it is the parser and not the
signature that rejects it.  KEY "-" keeps the old signature.  Writes OUT.
"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile


def dump(obj):
    return json.dumps(obj, separators=(",", ":"), sort_keys=True,
                      ensure_ascii=False).encode()


def pae(ptype, payload):
    t = ptype.encode()
    return b"DSSEv1 %d %s %d " % (len(t), t, len(payload)) + payload


def recompute_root(st):
    try:
        h = hashlib.sha256()
        for r in st["predicate"]["resources"]:
            h.update(bytes.fromhex(r["digest"]))
        st["subject"][0]["digest"]["sha256"] = h.hexdigest()
    except Exception:
        pass    # a deliberately mistyped statement: leave it as it is


def resign(src, out, key, code, flags):
    bundle = json.load(open(src))
    env = bundle["dsseEnvelope"]
    st = json.loads(base64.b64decode(env["payload"]))
    scope = {"st": st, "raw": None, "dump": dump, "json": json}
    exec(code, scope)
    st = scope["st"]
    if "noroot" not in flags:
        recompute_root(st)
    raw = scope["raw"] if scope["raw"] is not None else dump(st)
    env["payload"] = base64.b64encode(raw).decode()
    if key != "-":
        with tempfile.TemporaryDirectory() as d:
            m, s = os.path.join(d, "pae"), os.path.join(d, "sig")
            with open(m, "wb") as f:
                f.write(pae(env["payloadType"], raw))
            subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", key,
                            "-in", m, "-out", s], check=True)
            env["signatures"][0]["sig"] = base64.b64encode(open(s, "rb").read()).decode()
    with open(out, "w") as f:
        json.dump(bundle, f, indent=2)


def main():
    if sys.argv[1] == "--batch":
        for line in open(sys.argv[2]):
            src, out, key, flags, code = line.rstrip("\n").split("\t", 4)
            try:
                resign(src, out, key, code, flags.split())
            except Exception as e:
                sys.exit("resign.py: %s: %s" % (code, e))
        return
    resign(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])


if __name__ == "__main__":
    main()
