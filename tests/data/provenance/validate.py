# SPDX-License-Identifier: Apache-2.0
# validate.py SCHEMA_DIR KIND FILE: check FILE against the published schema
# (KIND cyclonedx-1.5, cyclonedx-1.6 or spdx-2.3) with python3-jsonschema, an
# independent reader; the schemas' cross-references resolve to the copies
# stored beside them (no network).  Exit 0 valid, 1 invalid (the error printed).
import json, os, sys
import jsonschema
d, kind, path = sys.argv[1:4]
main = {"cyclonedx-1.5": "bom-1.5.schema.json", "cyclonedx-1.6": "bom-1.6.schema.json",
        "spdx-2.3": "spdx-2.3.schema.json"}[kind]
store = {}
for f in os.listdir(d):
    if f.endswith(".json"):
        s = json.load(open(os.path.join(d, f)))
        store[s.get("$id", f)] = s
        store["http://cyclonedx.org/schema/" + f] = s
        store[f] = s
schema = json.load(open(os.path.join(d, main)))
cls = jsonschema.validators.validator_for(schema)
resolver = jsonschema.RefResolver(base_uri=schema.get("$id", ""), referrer=schema, store=store)
v = cls(schema, resolver=resolver, format_checker=jsonschema.FormatChecker())
errs = sorted(v.iter_errors(json.load(open(path))), key=lambda e: list(e.path))
for e in errs[:5]:
    print("%s: %s: at %s: %s" % (path, kind, "/".join(map(str, e.path)), e.message[:300]))
sys.exit(1 if errs else 0)
