# SPDX-License-Identifier: Apache-2.0
# tests/atomic_writer.py - kubelet's AtomicWriter, step for step, so that the
# k8s cases build ConfigMap and Secret volumes exactly as a node does.
#
# Port of kubernetes pkg/volume/util/atomic_writer.go (AtomicWriter.Write;
# read at commit 00e11024cf8ce5ae5b75ec122545f69b7e42c3f6, the layout is the
# same in current releases): the visible names are symlinks NAME ->
# ..data/NAME, ..data is a symlink to a timestamped directory
# ..YYYY_MM_DD_HH_MM_SS.<random> (mode 0755) holding the real files with the
# volume's mode; an update writes a new timestamped directory, points
# ..data_tmp at it and renames ..data_tmp over ..data (the atomic step),
# then removes visible names no longer in the payload and the old directory.
#
#   python3 atomic_writer.py TARGET_DIR MODE NAME=FILE [NAME=FILE...]
#
# MODE is octal (the volume's defaultMode, e.g. 0444); each FILE's bytes
# become NAME in the volume.  Run as root: the files are root's, as kubelet's.
import os
import shutil
import sys
import tempfile
import time

DATA = "..data"
NEW_DATA = "..data_tmp"


def validate(path):
    # validatePath: relative, no '..' element, not starting with '..'
    items = path.split("/")
    if not path or path.startswith("/") or ".." in items or \
            (items[0].startswith("..") and len(items[0]) > 2):
        raise SystemExit("invalid path: %r" % path)


def write(target, payload):
    for k in payload:
        validate(k)
    data_path = os.path.join(target, DATA)
    try:
        old_ts = os.readlink(data_path)                                  # (2)
    except FileNotFoundError:
        old_ts = ""
    old_ts_path = os.path.join(target, old_ts)
    to_remove = set()
    if old_ts:                                                           # (3)
        for root, dirs, files in os.walk(old_ts_path):
            for n in dirs + files:
                to_remove.add(os.path.relpath(os.path.join(root, n), old_ts_path))
        new_paths = set()
        for f in payload:
            p = f
            while p:
                new_paths.add(p)
                p = os.path.dirname(p)
        to_remove -= new_paths
    # (5) newTimestampDir: os.MkdirTemp(target, "..2006_01_02_15_04_05."), chmod 0755
    ts_dir = tempfile.mkdtemp(prefix=time.strftime("..%Y_%m_%d_%H_%M_%S.", time.gmtime()),
                              dir=target)
    os.chmod(ts_dir, 0o755)
    for rel, (content, mode) in payload.items():                         # (6)
        full = os.path.join(ts_dir, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(content)
        os.chmod(full, mode)
    for rel in payload:                                                  # (7)
        link = rel.split("/")[0]
        visible = os.path.join(target, link)
        if not os.path.islink(visible):
            os.symlink(os.path.join(DATA, link), visible)
    new_data = os.path.join(target, NEW_DATA)                            # (8)
    os.symlink(os.path.basename(ts_dir), new_data)
    os.rename(new_data, data_path)                                       # (9)
    for p in to_remove:                                                  # (10)
        if "/" not in p:
            os.remove(os.path.join(target, p))
    if old_ts:                                                           # (11)
        shutil.rmtree(old_ts_path)


def main():
    target, mode = sys.argv[1], int(sys.argv[2], 8)
    payload = {}
    for a in sys.argv[3:]:
        name, src = a.split("=", 1)
        with open(src, "rb") as f:
            payload[name] = (f.read(), mode)
    write(target, payload)


if __name__ == "__main__":
    main()
