#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# k8s-manifests: deploy/kubernetes/ is valid without a cluster.
#
# Kubernetes cannot run here, so: every object in deploy/kubernetes/*.yaml is
# validated by python3-jsonschema against the Kubernetes v1.30.0
# standalone-strict JSON schemas stored in tests/data/k8s-schemas (DaemonSet,
# Pod, ConfigMap, Secret; the Prometheus Operator's PodMonitor CRD schema),
# where an unknown field is an error; the validator is shown to catch a
# misspelt field, a wrong type and a missing required field.  Then what a
# schema cannot see: the protected root is Bidirectional in a privileged
# DaemonSet and HostToContainer, read-only, on the same host directory in the
# pod; vouchfs mounts where the config protects, below that directory; the
# probes run `vouch status`; the volumes name the ConfigMap and Secret that
# exist; the PodMonitor's port is the container's.  The ConfigMap's vouch.conf
# and the Secret's key load with the real vouch (paths moved under TMPDIR);
# the DaemonSet's wrapper script parses (sh -n) and passes SIGTERM and SIGHUP
# on to a stand-in vouchfs; the plain Prometheus scrape config passes
# `promtool check config`.
. "$VOUCH_SRC/tests/lib.sh"
DEPLOY=$VOUCH_SRC/deploy/kubernetes
SCHEMAS=$VOUCH_DATA/k8s-schemas/v1.30.0-standalone-strict
"$PY" -c 'import jsonschema, yaml' 2>/dev/null || skip "python3-jsonschema or python3-yaml missing (make deps)"

cat >"$TMPDIR/check.py" <<'PYEOF'
import copy, glob, json, os, sys
import jsonschema, yaml

deploy, schemas, out = sys.argv[1], sys.argv[2], sys.argv[3]
SCHEMA = {
    ("apps/v1", "DaemonSet"): "daemonset-apps-v1.json",
    ("v1", "Pod"): "pod-v1.json",
    ("v1", "ConfigMap"): "configmap-v1.json",
    ("v1", "Secret"): "secret-v1.json",
    ("monitoring.coreos.com/v1", "PodMonitor"): "podmonitor-monitoring-v1.json",
}
validators = {}
def validator(obj):
    key = (obj.get("apiVersion"), obj.get("kind"))
    if key not in SCHEMA:
        sys.exit("FAIL: no schema stored for %s %s" % key)
    if key not in validators:
        with open(os.path.join(schemas, SCHEMA[key])) as f:
            validators[key] = jsonschema.Draft4Validator(json.load(f))
    return validators[key]

def errors(obj):
    return sorted(validator(obj).iter_errors(obj), key=lambda e: list(e.absolute_path))

objs = {}
for path in sorted(glob.glob(os.path.join(deploy, "*.yaml"))):
    with open(path) as f:
        for obj in yaml.safe_load_all(f):
            if obj is None:
                continue
            errs = errors(obj)
            name = "%s %s/%s (%s)" % (obj["kind"], obj["metadata"].get("namespace", "-"),
                                      obj["metadata"]["name"], os.path.basename(path))
            if errs:
                for e in errs:
                    print("  %s: %s" % ("/".join(map(str, e.absolute_path)), e.message))
                sys.exit("FAIL: %s does not validate" % name)
            print("valid: " + name)
            objs[obj["kind"]] = obj
for k in ("DaemonSet", "Pod", "ConfigMap", "Secret", "PodMonitor"):
    if k not in objs:
        sys.exit("FAIL: no %s in deploy/kubernetes" % k)

# The validator is not a rubber stamp.
ds = objs["DaemonSet"]
bad = copy.deepcopy(ds)
bad["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0]["mountPropogation"] = "Bidirectional"
assert any("mountPropogation" in e.message for e in errors(bad)), "misspelt field accepted"
bad = copy.deepcopy(ds)
bad["spec"]["template"]["spec"]["volumes"][0]["hostPath"]["path"] = 17
assert errors(bad), "wrong type accepted"
bad = copy.deepcopy(objs["Pod"])
del bad["spec"]["containers"]
assert any("'containers' is a required property" in e.message for e in errors(bad)), "missing containers accepted"
print("negative: misspelt field, wrong type, missing required field all rejected")

# What the schemas cannot check.
def fail(msg):
    sys.exit("FAIL: " + msg)
tpl = ds["spec"]["template"]
vols = {v["name"]: v for v in tpl["spec"]["volumes"]}
fs = next(c for c in tpl["spec"]["containers"] if c["name"] == "vouchfs")
mounts = {m["name"]: m for m in fs["volumeMounts"]}
prot = [m for m in fs["volumeMounts"] if m.get("mountPropagation") == "Bidirectional"]
if len(prot) != 1:
    fail("vouchfs needs exactly one Bidirectional mount, has %d" % len(prot))
prot = prot[0]
hostdir = vols[prot["name"]].get("hostPath", {}).get("path")
if not hostdir:
    fail("the Bidirectional volume is not a hostPath")
if not fs.get("securityContext", {}).get("privileged"):
    fail("Bidirectional propagation needs a privileged container")
if "dev-fuse" not in mounts or vols["dev-fuse"]["hostPath"]["path"] != "/dev/fuse":
    fail("/dev/fuse is not given to vouchfs")
for probe in ("livenessProbe", "readinessProbe"):
    cmd = fs.get(probe, {}).get("exec", {}).get("command", [])
    if cmd[:2] != ["vouch", "status"]:
        fail("%s is not `vouch status`: %s" % (probe, cmd))
conf = objs["ConfigMap"]["data"]["vouch.conf"]
protect = [l.split("=", 1)[1].strip() for l in conf.splitlines() if l.strip().startswith("protect")]
script = fs["command"][-1]
if len(protect) != 1 or not protect[0].startswith(prot["mountPath"].rstrip("/") + "/"):
    fail("protect %s is not below the Bidirectional mount %s" % (protect, prot["mountPath"]))
if (" %s " % protect[0]) not in script.replace("\n", " ") + " ":
    fail("vouchfs does not mount at the protected root %s" % protect[0])
if vols["config"]["configMap"]["name"] != objs["ConfigMap"]["metadata"]["name"] or \
   vols["trust"]["secret"]["secretName"] != objs["Secret"]["metadata"]["name"]:
    fail("the DaemonSet's volumes name another ConfigMap or Secret")
if mounts["config"]["mountPath"] + "/vouch.conf" not in script or \
   "trust = " + mounts["trust"]["mountPath"] not in conf:
    fail("config or trust not read where they are mounted")
pod = objs["Pod"]
pvols = {v["name"]: v for v in pod["spec"]["volumes"]}
for c in pod["spec"].get("initContainers", []) + pod["spec"]["containers"]:
    for m in c.get("volumeMounts", []):
        hp = pvols[m["name"]].get("hostPath", {}).get("path")
        if hp == hostdir:
            if not m.get("readOnly") or m.get("mountPropagation") != "HostToContainer":
                fail("pod %s mounts %s without readOnly + HostToContainer" % (c["name"], hp))
        if hp and hp.startswith("/srv/models"):
            fail("the pod mounts the raw source %s" % hp)
    if c.get("securityContext", {}).get("privileged"):
        fail("the model server is privileged")
if not any(v.get("hostPath", {}).get("path") == hostdir for v in pvols.values()):
    fail("the pod does not mount %s" % hostdir)
ports = {p["name"] for c in tpl["spec"]["containers"] for p in c.get("ports", [])}
for ep in objs["PodMonitor"]["spec"]["podMetricsEndpoints"]:
    if ep["port"] not in ports:
        fail("PodMonitor port %s is no container's" % ep["port"])
sel = objs["PodMonitor"]["spec"]["selector"]["matchLabels"]
if any(tpl["metadata"]["labels"].get(k) != v for k, v in sel.items()):
    fail("the PodMonitor selects no vouchfs pod")
print("semantics: Bidirectional+privileged+/dev/fuse, protect below it, probes, names, pod HostToContainer ro, PodMonitor port")

# For the shell half: the config, the key, the wrapper script.
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "vouch.conf"), "w") as f:
    f.write(conf)
for name, pem in objs["Secret"]["stringData"].items():
    with open(os.path.join(out, "key-" + name), "w") as f:
        f.write(pem)
with open(os.path.join(out, "wrapper.sh"), "w") as f:
    f.write(script)
PYEOF
"$PY" "$TMPDIR/check.py" "$DEPLOY" "$SCHEMAS" "$TMPDIR/x" || fail "manifest check"
ok "every object validates against the v1.30.0 strict schemas; the cross-object rules hold"

# The ConfigMap's vouch.conf and the Secret's key, through the real parser.
mkdir -p "$TMPDIR/trust" "$TMPDIR/state"; chmod 0755 "$TMPDIR/trust"; chmod 0700 "$TMPDIR/state"
for k in "$TMPDIR"/x/key-*; do cp "$k" "$TMPDIR/trust/${k##*/key-}"; done
sed -e "s|/etc/vouch/trust|$TMPDIR/trust|" -e "s|/var/lib/vouch/state|$TMPDIR/state|" \
	-e "s|/run/vouch/metrics|$TMPDIR/metrics|" -e "s|/var/log/vouch/|$TMPDIR/|" \
	"$TMPDIR/x/vouch.conf" >"$TMPDIR/vouch.conf"
expect_rc 0 "$VOUCH" trust list -c "$TMPDIR/vouch.conf"
expect_out "example\.pub"
ok "the ConfigMap's vouch.conf and the Secret's key load with vouch (trust list)"

# The wrapper: dash parses it; with a stand-in vouchfs it sends SIGHUP when
# ..data changes, passes SIGHUP and SIGTERM on, exits with vouchfs's status.
sh -n "$TMPDIR/x/wrapper.sh" || fail "the DaemonSet's wrapper script does not parse"
R=$TMPDIR/root
mkdir -p "$R/bin" "$R/etc/vouch/config" "$R/etc/vouch/trust" "$R/var/lib/vouch/protected"
ln -s ..a "$R/etc/vouch/config/..data"; ln -s ..a "$R/etc/vouch/trust/..data"
cat >"$R/bin/vouchfs" <<EOF
#!/bin/sh
trap 'echo HUP >>"$R/log"' HUP
trap 'echo TERM >>"$R/log"; exit 0' TERM
echo "start \$*" >>"$R/log"
while :; do sleep 0.1; done
EOF
chmod +x "$R/bin/vouchfs"
sed -e "s|/etc/vouch/|$R/etc/vouch/|g" -e "s|/var/lib/vouch/|$R/var/lib/vouch/|g" \
	-e 's|sleep 10|sleep 0.2|' "$TMPDIR/x/wrapper.sh" >"$R/wrapper.sh"
PATH=$R/bin:$PATH sh "$R/wrapper.sh" &
W=$!
for _ in $(seq 50); do grep -q start "$R/log" 2>/dev/null && break; sleep 0.1; done
grep -q "start -f -c $R/etc/vouch/config/vouch.conf /srv/models $R/var/lib/vouch/protected/models" "$R/log" ||
	{ cat "$R/log"; kill $W; fail "wrapper did not start vouchfs as expected"; }
ln -sfn ..b "$R/etc/vouch/trust/..data"
for _ in $(seq 50); do grep -q HUP "$R/log" && break; sleep 0.1; done
grep -q HUP "$R/log" || { kill $W; fail "no SIGHUP after the Secret's ..data changed"; }
[ "$(grep -c HUP "$R/log")" = 1 ] || { kill $W; fail "more than one SIGHUP for one change"; }
kill -HUP $W
for _ in $(seq 50); do [ "$(grep -c HUP "$R/log")" = 2 ] && break; sleep 0.1; done
[ "$(grep -c HUP "$R/log")" = 2 ] || { kill $W; fail "SIGHUP to the wrapper not passed on"; }
kill -TERM $W
wait $W; rc=$?
grep -q TERM "$R/log" || fail "SIGTERM was not passed on to vouchfs"
[ "$rc" = 0 ] || fail "wrapper exited $rc after vouchfs's clean stop"
ok "the DaemonSet's wrapper: SIGHUP on a ..data swap, SIGHUP and SIGTERM passed on, vouchfs's exit status"

command -v promtool >/dev/null 2>&1 || fail "promtool missing (Debian prometheus, in make deps)"
if promtool check config "$DEPLOY/prometheus-scrape.yml" >"$TMPDIR/promtool.out" 2>&1; then
	ok "prometheus-scrape.yml: promtool check config"
elif grep -q 'field kubernetes_sd_configs not found' "$TMPDIR/promtool.out"; then
	# Debian's Prometheus (2.42) is built without the Kubernetes service
	# discovery: check everything else, the SD block swapped for a static one.
	echo "note: this promtool has no Kubernetes service discovery:"
	sed -e 's/FAILED/failed/' -e 's/^/  /' "$TMPDIR/promtool.out"
	"$PY" - "$DEPLOY/prometheus-scrape.yml" "$TMPDIR/scrape-static.yml" <<'PYEOF'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
for sc in c["scrape_configs"]:
    assert sc.pop("kubernetes_sd_configs")[0]["role"] == "pod"
    sc["static_configs"] = [{"targets": ["127.0.0.1:9464"]}]
yaml.safe_dump(c, open(sys.argv[2], "w"))
PYEOF
	expect_rc 0 promtool check config "$TMPDIR/scrape-static.yml"
	ok "prometheus-scrape.yml: promtool check config with kubernetes_sd_configs swapped for" \
		"static_configs (this promtool has no Kubernetes SD; that block is checked by nothing here)"
else
	cat "$TMPDIR/promtool.out"; fail "promtool check config"
fi
