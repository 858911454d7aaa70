"""The crash model itself (fsmodel.py): a trace read as strace writes it,
what a sync makes durable, and the states it builds.  Run by make
crashcheck-quick before the exploration."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fsmodel  # noqa: E402
from fsmodel import Op  # noqa: E402

ROOT = "/box"


def hx(b):
    if isinstance(b, str):
        b = b.encode()
    return "".join("\\x%02x" % c for c in b)


def fd(n, path):
    return "%d<%s>" % (n, hx(path))


def trace(tmp_path, lines):
    p = tmp_path / "trace.txt"
    p.write_text("".join("100  %s\n" % line for line in lines))
    return str(p)


def tree(files, dirs=()):
    t = fsmodel.Tree()
    for d in dirs:
        parent, name = os.path.split(d)
        t.entries[(parent, name)] = "D"
    for path, content in files.items():
        parent, name = os.path.split(path)
        t.entries[(parent, name)] = t.new_ino(content)
    return t


def test_trace_of_a_commit_reads_as_operations(tmp_path):
    q, tmpd = ROOT + "/queue", ROOT + "/tmp"
    lines = [
        'openat(%s, "%s", O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0600) = %s' %
        (fd(4, tmpd), hx("m"), fd(7, tmpd + "/m")),
        'write(%s, "%s", 5) = 5' % (fd(7, tmpd + "/m"), hx("hello")),
        'write(%s, "%s", 3 <unfinished ...>' % (fd(7, tmpd + "/m"),
                                                hx("!!!")),
        '<... write resumed>) = 3',
        'fsync(%s) = 0' % fd(7, tmpd + "/m"),
        'close(%s) = 0' % fd(7, tmpd + "/m"),
        'linkat(%s, "%s", %s, "%s", 0) = 0' % (fd(4, tmpd), hx("m"),
                                               fd(5, q), hx("r1")),
        'fsync(%s) = 0' % fd(5, q),
        'unlinkat(%s, "%s", 0) = 0' % (fd(4, tmpd), hx("m")),
        'recvfrom(%s, "%s", 16384, 0, NULL, NULL) = 20' % (
            fd(9, "socket:[1]"), hx("250 ok <r1@x>\r\n")),
        'openat(AT_FDCWD<%s>, "%s", O_RDONLY) = 3<%s>' % (
            hx("/"), hx("/etc/hosts"), hx("/etc/hosts")),
    ]
    ops = fsmodel.parse_trace(trace(tmp_path, lines), ROOT,
                              tree({}, ["tmp", "queue"]), ROOT,
                              re.compile(r"250 ok <([^>]+)>"))
    kinds = [(o.kind, o.a if o.kind != "write" else o.b) for o in ops]
    assert kinds == [("create", 1), ("ent", "tmp"), ("write", 0),
                     ("write", 5), ("fsync", 1), ("ent", "queue"),
                     ("dsync", "queue"), ("ent", "tmp"), ("accept", "r1@x")]
    assert ops[3].c == b"!!!"


def space(ops, files=None, dirs=("d", "e")):
    return fsmodel.CrashSpace(tree(files or {"d/f": b"old"}, dirs), ops)


def test_sync_makes_earlier_work_durable_and_nothing_else():
    ops = [Op("write", 1, 0, b"AAA"), Op("fsync", 1),
           Op("write", 1, 0, b"BBB"), Op("ent", "d", "g", 1),
           Op("dsync", "e"), Op("dsync", "d")]
    s = space(ops)
    assert s.points == [1, 4, 5, 6]
    assert s.pending(1) == [0]
    assert s.pending(5) == [2, 3]           # e/ synced, not d/
    assert s.pending(6) == [2]


def test_states_lose_apply_and_tear_pending_writes():
    data = bytes(range(256)) * 8            # 2048 bytes: 4 sectors
    ops = [Op("write", 1, 0, data)]
    s = space(ops, {"d/f": b""})
    got = {st.files["d/f"] for st in s.states(nrandom=0)}
    assert data in got                      # applied (kill -9)
    assert b"" in got                       # lost
    assert data[:1024] in got               # torn: its first half
    assert fsmodel._sectors(100, b"x" * 1000, [1]) == [(512, b"x" * 512)]


def test_a_rename_across_directories_has_two_halves():
    # d/f renamed to e/f, e/ synced only: the new name is durable, the
    # removal of the old one may or may not be.
    ops = [Op("ent", "e", "f", 1, group=1), Op("ent", "d", "f", None,
                                                group=2),
           Op("dsync", "e")]
    s = space(ops)
    states = {tuple(sorted(st.files)) for st in s.states(points=[3])}
    assert states == {("d/f", "e/f"), ("e/f",)}
    # Before any sync, every combination, the message in neither too.
    states = {tuple(sorted(st.files)) for st in s.states(points=[2],
                                                         nrandom=8)}
    assert () in states and ("d/f", "e/f") in states


def test_a_rename_within_a_directory_is_atomic():
    ops = [Op("ent", "d", "g", 1, group=1), Op("ent", "d", "f", None,
                                                group=1)]
    s = space(ops)
    states = {tuple(sorted(st.files)) for st in s.states(nrandom=8)}
    assert states == {("d/f",), ("d/g",)}


def test_materialized_state_keeps_hard_links(tmp_path):
    ops = [Op("ent", "e", "f", 1)]
    st = next(space(ops).states(nrandom=0))
    fsmodel.materialize(st, str(tmp_path / "s"))
    a = os.stat(tmp_path / "s" / "d" / "f")
    b = os.stat(tmp_path / "s" / "e" / "f")
    assert a.st_ino == b.st_ino and a.st_nlink == 2
