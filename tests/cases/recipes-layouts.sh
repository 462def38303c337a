#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# recipes-layouts: vouch's side of the docs/recipes.md recipes whose servers
# are not installed here (TorchServe, BentoML, Triton, a vLLM plain
# directory): each store is laid out as the server keeps it, signed as the
# recipe says, mounted with vouchfs, and read as the server reads it (in
# python: a .mar opened as a zip, BentoML's `latest` resolved then the
# pickle loaded, Triton's repository listed for numeric versions then
# config.pbtxt and the model read, a --local-dir snapshot with its
# .cache/huggingface bookkeeping).  The signed stores load; a tampered .mar,
# a tampered Triton version, an unsigned `latest` are refused with EACCES.
# This is not the servers themselves: docs/recipes.md says so.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
fs_syslog_start

SRC=$TMPDIR/src; MNT=$TMPDIR/mnt
mkdir -p "$SRC" "$MNT"
newkey k
mkdir -p "$TMPDIR/trust"; cp "$TMPDIR/k.pub" "$TMPDIR/trust/"
sign() { "$VOUCH" sign -k "$TMPDIR/k.key" "$@" >"$TMPDIR/sign.out" 2>&1 || { cat "$TMPDIR/sign.out"; fail "vouch sign $*"; }; }

# --- TorchServe: a flat store of .mar archives, a sidecar per archive ----------
TS=$SRC/torchserve
mkdir -p "$TS"
"$PY" - "$TS" <<'PYEOF'
import json, os, sys, zipfile
for name in ("resnet", "bert"):
    with zipfile.ZipFile(os.path.join(sys.argv[1], name + ".mar"), "w") as z:
        z.writestr("MAR-INF/MANIFEST.json", json.dumps({"model": {"modelName": name,
                   "serializedFile": "model.pt", "handler": "handler.py"}}))
        z.writestr("model.pt", os.urandom(200000))
        z.writestr("handler.py", "def handle(data, ctx):\n    return data\n")
PYEOF
sign --name resnet --version 3 "$TS/resnet.mar"
sign --name bert --version 1 "$TS/bert.mar"
# bert.mar tampered after signing: one byte of the stored weights.
flip_byte "$TS/bert.mar" 5000

# --- BentoML: models/<name>/<version>/ + models/<name>/latest ----------------------
BM=$SRC/bentoml/models
for n in iris_clf svm_clf; do
	mkdir -p "$BM/$n/ecde3adktowieaan"
	printf 'name: %s\nversion: ecde3adktowieaan\nmodule: bentoml.sklearn\n' "$n" >"$BM/$n/ecde3adktowieaan/model.yaml"
	"$PY" -c 'import pickle, sys; pickle.dump({"w": [1, 2, 3]}, open(sys.argv[1], "wb"))' \
		"$BM/$n/ecde3adktowieaan/saved_model.pkl"
	echo ecde3adktowieaan >"$BM/$n/latest"
done
# iris_clf: one signature per version and a sidecar for latest.
sign --name iris_clf --version 4 "$BM/iris_clf/ecde3adktowieaan"
sign --name iris_clf-latest --version 4 "$BM/iris_clf/latest"
# svm_clf: the version signed, latest forgotten.
sign --name svm_clf --version 1 "$BM/svm_clf/ecde3adktowieaan"
# lr_clf: the whole model directory, one signature (latest included).
mkdir -p "$BM/lr_clf/aaaabbbbccccdddd"
printf 'name: lr_clf\n' >"$BM/lr_clf/aaaabbbbccccdddd/model.yaml"
"$PY" -c 'import pickle, sys; pickle.dump([4, 5], open(sys.argv[1], "wb"))' "$BM/lr_clf/aaaabbbbccccdddd/saved_model.pkl"
echo aaaabbbbccccdddd >"$BM/lr_clf/latest"
sign --name lr_clf --version 2 "$BM/lr_clf"

# --- Triton: <model>/config.pbtxt, <model>/<n>/model.onnx, one model.sig -----------------
TR=$SRC/triton
for mdl in densenet_onnx bad_onnx; do
	mkdir -p "$TR/$mdl/1" "$TR/$mdl/2"
	printf 'name: "%s"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 0\n' "$mdl" >"$TR/$mdl/config.pbtxt"
	printf 'cat\ndog\n' >"$TR/$mdl/labels.txt"
	head -c 100000 /dev/urandom >"$TR/$mdl/1/model.onnx"
	head -c 100000 /dev/urandom >"$TR/$mdl/2/model.onnx"
	sign --name "$mdl" --version 2 "$TR/$mdl"
done
flip_byte "$TR/bad_onnx/2/model.onnx" 10

# --- vLLM: a --local-dir snapshot with huggingface_hub's bookkeeping ------------------
HF=$SRC/hf/name
mkdir -p "$HF/.cache/huggingface/download"
printf '{"architectures": ["LlamaForCausalLM"]}\n' >"$HF/config.json"
printf '{"model_max_length": 2048}\n' >"$HF/tokenizer_config.json"
head -c 300000 /dev/urandom >"$HF/model.safetensors"
printf 'abc\nsha\n0\n' >"$HF/.cache/huggingface/download/model.safetensors.metadata"
sign --name org/name --version 7 "$HF"

fs_mount "$SRC" "$MNT" --trust "$TMPDIR/trust"

# --- read as the servers read -------------------------------------------------------------
"$PY" - "$MNT" >"$TMPDIR/read.out" 2>&1 <<'PYEOF'
import errno, json, mmap, os, pickle, sys, zipfile
M = sys.argv[1]
def res(fn):
    try:
        return "OK " + str(fn())
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
def mar(name):
    with zipfile.ZipFile(f"{M}/torchserve/{name}.mar") as z:
        man = json.loads(z.read("MAR-INF/MANIFEST.json"))
        return len(z.read(man["model"]["serializedFile"]))
print("torchserve resnet.mar:", res(lambda: mar("resnet")))
print("torchserve bert.mar:", res(lambda: mar("bert")))
def bento(name):
    d = f"{M}/bentoml/models/{name}"
    ver = open(f"{d}/latest").read().strip()
    open(f"{d}/{ver}/model.yaml").read()
    return pickle.load(open(f"{d}/{ver}/saved_model.pkl", "rb"))
for n in ("iris_clf", "svm_clf", "lr_clf"):
    print(f"bentoml {n}:latest:", res(lambda: bento(n)))
print("bentoml svm_clf by exact tag:", res(lambda: pickle.load(open(
    f"{M}/bentoml/models/svm_clf/ecde3adktowieaan/saved_model.pkl", "rb"))))
def triton(mdl):
    d = f"{M}/triton/{mdl}"
    vers = sorted(int(v) for v in os.listdir(d) if v.isdigit())
    open(f"{d}/config.pbtxt").read(); open(f"{d}/labels.txt").read()
    return [len(open(f"{d}/{v}/model.onnx", "rb").read()) for v in vers]
print("triton densenet_onnx:", res(lambda: triton("densenet_onnx")))
print("triton bad_onnx:", res(lambda: triton("bad_onnx")))
def vllm():
    d = f"{M}/hf/name"
    json.load(open(f"{d}/config.json")); json.load(open(f"{d}/tokenizer_config.json"))
    with open(f"{d}/model.safetensors", "rb") as f:
        with mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ) as mm:
            return len(mm[:])
print("vllm local-dir (mmap):", res(vllm))
PYEOF
cat "$TMPDIR/read.out"
want() { grep -qxF -- "$1" "$TMPDIR/read.out" || fail "wanted: $1"; }
want "torchserve resnet.mar: OK 200000"
want "torchserve bert.mar: EACCES"
want "bentoml iris_clf:latest: OK {'w': [1, 2, 3]}"
want "bentoml svm_clf:latest: EACCES"
want "bentoml lr_clf:latest: OK [4, 5]"
want "bentoml svm_clf by exact tag: OK {'w': [1, 2, 3]}"
want "triton densenet_onnx: OK [100000, 100000]"
want "triton bad_onnx: EACCES"
want "vllm local-dir (mmap): OK 300000"
syslog_wait "cause=hash-mismatch .*path=$SRC/torchserve/bert.mar "
syslog_wait "cause=not-signed .*path=$SRC/bentoml/models/svm_clf/latest "
syslog_wait "cause=hash-mismatch .*path=$SRC/triton/bad_onnx/2/model.onnx "
ok "TorchServe .mar store, BentoML store (per-version + latest sidecar, whole-model signature), Triton repository, vLLM local-dir: signed ones load through vouchfs, tampered .mar / Triton version and unsigned latest refused (EACCES, alerts)"
