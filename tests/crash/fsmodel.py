"""The file-system side of the crash explorer: what a run did to the box,
and every state a power cut could have left of it.

recording: the run is traced with strace (STRACE_ARGS): every call that
opens, writes, truncates, links, renames, removes, creates a directory or
syncs, with the written bytes in full (-xx -s), each descriptor decorated
with its path (-y), and the SMTP replies the client received (recvfrom),
which tell when the server accepted a message.

parse_trace() turns the trace into a list of operations on the box (calls
outside it are dropped), against a model of the box's namespace:

    Op("write", ino, off, data)      bytes written at an offset of an inode
    Op("trunc", ino, size)           ftruncate, or O_TRUNC
    Op("ent", dir, name, target)     a directory entry set (target: an inode
                                     number, or "D" for a directory) or
                                     removed (target None); a create, link,
                                     unlink, mkdir, rmdir, or one half of a
                                     rename (same group for both halves)
    Op("fsync", ino)                 fsync or fdatasync of a regular file
    Op("dsync", dir)                 fsync of a directory
    Op("sync")                       sync(), syncfs()
    Op("accept", msgid)              the server's final 2xx to a message,
                                     as the client read it

Durability (what POSIX promises, no more): an fsync/fdatasync of a file
makes the earlier writes and truncations of that inode durable; an fsync
of a directory makes the earlier entry changes in that directory durable.
Nothing else is ordered: writes to different files, entries in different
directories, and the two halves of a rename across directories (each
durable with its own directory) may reach the disk in any combination.
A rename within one directory is atomic.  A write not yet durable may be
lost, applied, or torn: only some of its 512-byte sectors written (the
bytes outside a write are never touched, SQLite's powersafe overwrite).

CrashSpace.states() yields, for each crash point (just before each sync,
and at the end), the state where every pending operation reached the disk
(what kill -9 leaves), the one where none did, one per file and per
directory losing only its own pending work, one tearing each file's last
pending write, and `random` more drawn from a seeded generator; identical
states are merged.  -shm files are left out: SQLite rebuilds them.
"""

import collections
import hashlib
import os
import random
import re

SECTOR = 512

STRACE_CALLS = ("open,openat,creat,write,pwrite64,writev,pwritev,pwritev2,"
                "ftruncate,truncate,rename,renameat,renameat2,link,linkat,"
                "unlink,unlinkat,mkdir,mkdirat,rmdir,fsync,fdatasync,"
                "sync,syncfs,close,dup,dup2,dup3,lseek,fallocate,recvfrom,"
                "symlink,symlinkat,clone,clone3,fork,vfork")
STRACE_ARGS = ["-f", "-qq", "-y", "-xx", "-s", "16777216",
               "-e", "trace=" + STRACE_CALLS, "-e", "signal=none"]


class TraceError(Exception):
    pass


class Op:
    __slots__ = ("kind", "a", "b", "c", "group", "where")

    def __init__(self, kind, a=None, b=None, c=None, group=None, where=""):
        self.kind, self.a, self.b, self.c = kind, a, b, c
        self.group = group
        self.where = where

    def __repr__(self):
        if self.kind == "write":
            return "write(ino %s, off %d, %d bytes)" % (self.a, self.b,
                                                         len(self.c))
        return "%s(%r, %r, %r)" % (self.kind, self.a, self.b, self.c)


# ---------------------------------------------------------------------------
# strace output

_LINE = re.compile(r"^(\d+)\s+(.*)$")
_CALL = re.compile(r"^([a-z0-9_]+)\((.*)$", re.S)
_RESUMED = re.compile(r"^<\.\.\. ([a-z0-9_]+) resumed>(.*)$", re.S)
_RET = re.compile(r"^(.*)\)\s+=\s+(-?\d+|0x[0-9a-f]+|\?)(<[^>]*>)?(.*)$",
                  re.S)


def _unhex(s):
    """Decodes a string strace printed with -xx ("\\x41\\x42")."""
    out = bytearray()
    i = 0
    while i < len(s):
        if s[i] == "\\":
            c = s[i + 1]
            if c == "x":
                out.append(int(s[i + 2:i + 4], 16))
                i += 4
                continue
            esc = {"n": 10, "t": 9, "r": 13, "v": 11, "f": 12, "\\": 92,
                   '"': 34}
            if c in esc:
                out.append(esc[c])
                i += 2
                continue
            raise TraceError("unknown escape in %r" % s[:40])
        out += s[i].encode()
        i += 1
    return bytes(out)


def _split_args(s):
    """Splits the argument text of a call at its top-level commas."""
    args, cur, depth, i = [], [], 0, 0
    while i < len(s):
        ch = s[i]
        if ch == '"':
            j = i + 1
            while s[j] != '"':
                j += 2 if s[j] == "\\" else 1
            cur.append(s[i:j + 1])
            i = j + 1
            continue
        if ch in "[{<(":
            depth += 1
        elif ch in "]}>)":
            depth -= 1
        if ch == "," and depth == 0:
            args.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
        i += 1
    if cur:
        args.append("".join(cur).strip())
    return args


def _str_arg(a):
    if a.endswith("..."):
        raise TraceError("strace cut a string short: raise -s")
    if not (a.startswith('"') and a.endswith('"')):
        raise TraceError("not a string: %r" % a[:60])
    return _unhex(a[1:-1])


def _fd_arg(a):
    """(fd number or 'AT_FDCWD', decorated path or None)."""
    m = re.match(r"^(-?\d+|AT_FDCWD)(?:<([^>]*)>)?", a)
    if not m:
        raise TraceError("not a descriptor: %r" % a[:60])
    fd = m.group(1)
    path = _unhex(m.group(2)).decode("utf-8", "surrogateescape") \
        if m.group(2) is not None else None
    return (fd if fd == "AT_FDCWD" else int(fd)), path


def _iov_data(a):
    return b"".join(_unhex(m.group(1)) for m in
                    re.finditer(r'iov_base="((?:[^"\\]|\\.)*)"', a))


def read_calls(path):
    """Yields (pid, name, args list, ret, ret decoration, line number) for
    every completed call of the trace, merging unfinished/resumed halves."""
    pending = {}
    with open(path, encoding="latin-1") as f:
        for lineno, raw in enumerate(f, 1):
            raw = raw.rstrip("\n")
            m = _LINE.match(raw)
            if not m:
                continue
            pid, rest = int(m.group(1)), m.group(2)
            if rest.startswith("+++") or rest.startswith("---"):
                continue
            if rest.endswith("<unfinished ...>"):
                pending[pid] = rest[:-len("<unfinished ...>")].rstrip()
                continue
            r = _RESUMED.match(rest)
            if r:
                head = pending.pop(pid, None)
                if head is None:
                    raise TraceError("line %d: resumed without start" %
                                     lineno)
                rest = head + r.group(2)
            c = _CALL.match(rest)
            if not c:
                continue
            rm = _RET.match(c.group(2))
            if not rm:
                raise TraceError("line %d: cannot parse %r" %
                                 (lineno, rest[:120]))
            ret = rm.group(2)
            ret = None if ret == "?" else int(ret, 0)
            deco = rm.group(3)
            if deco:
                deco = _unhex(deco[1:-1]).decode("utf-8", "surrogateescape")
            yield (pid, c.group(1), _split_args(rm.group(1)), ret, deco,
                   lineno)


# ---------------------------------------------------------------------------
# The box as a tree, and the recorded operations on it


class Tree:
    """A namespace: entries[(dir, name)] = inode number or "D"; contents
    of the inodes in data[ino].  Paths are relative to the box ("" is its
    root)."""

    def __init__(self):
        self.entries = {}
        self.data = {}
        self.next_ino = 1

    def new_ino(self, content=b""):
        ino = self.next_ino
        self.next_ino += 1
        self.data[ino] = bytearray(content)
        return ino

    @classmethod
    def from_dir(cls, root):
        t = cls()
        for dirpath, dirnames, filenames in os.walk(root):
            rel = os.path.relpath(dirpath, root)
            rel = "" if rel == "." else rel
            for d in dirnames:
                t.entries[(rel, d)] = "D"
            for fn in filenames:
                p = os.path.join(dirpath, fn)
                if os.path.islink(p):
                    raise TraceError("symbolic link in the box: %s" % p)
                with open(p, "rb") as f:
                    t.entries[(rel, fn)] = t.new_ino(f.read())
        return t

    def lookup(self, rel):
        d, n = os.path.split(rel)
        return self.entries.get((d, n))

    def files(self):
        """{relative path: inode} of the files reachable from the root."""
        children = collections.defaultdict(list)
        for (d, n), t in self.entries.items():
            children[d].append((n, t))
        out = {}
        stack = [""]
        while stack:
            d = stack.pop()
            for n, t in children.get(d, ()):
                p = os.path.join(d, n) if d else n
                if t == "D":
                    stack.append(p)
                else:
                    out[p] = t
        return out

    def dirs(self):
        children = collections.defaultdict(list)
        for (d, n), t in self.entries.items():
            if t == "D":
                children[d].append(n)
        out, stack = [""], [""]
        while stack:
            d = stack.pop()
            for n in children.get(d, ()):
                p = os.path.join(d, n) if d else n
                out.append(p)
                stack.append(p)
        return out


def parse_trace(trace_path, root, initial, cwd, accept_re):
    """Reads the strace output of a run in the box at root (whose tree
    before the run is `initial`, a Tree) and returns the list of Op.
    accept_re: a compiled regex whose group 1, found in a reply the client
    received, names the message the server accepted."""
    root = os.path.realpath(root)
    live = Tree()
    live.entries = dict(initial.entries)
    live.data = {k: None for k in initial.data}     # contents not needed
    live.next_ino = initial.next_ino
    ops = []
    fds = {}            # fd -> [description]; description: dict
    pids = set()
    group = [0]

    def rel(path):
        if path is None:
            return None
        path = os.path.normpath(path)
        if path == root:
            return ""
        if path.startswith(root + "/"):
            return path[len(root) + 1:]
        return None

    def resolve(dirarg, name):
        """The absolute path of name relative to a descriptor argument."""
        name = name.decode("utf-8", "surrogateescape")
        if name.startswith("/"):
            return name
        fd, dpath = dirarg if dirarg else ("AT_FDCWD", cwd)
        if fd == "AT_FDCWD":
            return os.path.join(dpath or cwd, name)
        if dpath is None:
            raise TraceError("relative name without a directory")
        return os.path.join(dpath, name)

    def ent(d, n, target, where, g=None):
        live.entries.pop((d, n), None)
        if target is not None:
            live.entries[(d, n)] = target
        ops.append(Op("ent", d, n, target, group=g, where=where))

    def new_group():
        group[0] += 1
        return group[0]

    def set_entry_path(r, target, where, g=None):
        d, n = os.path.split(r)
        ent(d, n, target, where, g)

    for pid, name, args, ret, deco, lineno in read_calls(trace_path):
        where = "trace line %d: %s" % (lineno, name)
        if name == "recvfrom":
            if ret is not None and ret > 0:
                data = _str_arg(args[1])
                for m in accept_re.finditer(data.decode("latin-1")):
                    ops.append(Op("accept", m.group(1), where=where))
            continue
        if ret is None or ret < 0:
            continue
        if name in ("clone", "clone3", "fork", "vfork"):
            if "CLONE_THREAD" not in " ".join(args) and \
                    "CLONE_VM" not in " ".join(args) and name != "clone3":
                raise TraceError("%s: the run forked; the model follows "
                                 "one process" % where)
            continue
        if name in ("open", "openat", "creat"):
            if name == "openat":
                dirarg, path, flags = _fd_arg(args[0]), args[1], args[2]
            elif name == "open":
                dirarg, path, flags = None, args[0], args[1]
            else:
                dirarg, path, flags = None, args[0], "O_WRONLY|O_CREAT|O_TRUNC"
            absolute = resolve(dirarg, _str_arg(path))
            r = rel(absolute)
            if r is None and deco is not None:
                r = rel(deco)
            if r is None:
                fds.pop(ret, None)
                continue
            pids.add(pid)
            if "O_DIRECTORY" in flags or r == "" or live.lookup(r) == "D":
                fds[ret] = [{"dir": r}]
                continue
            ino = live.lookup(r)
            if ino is None:
                if "O_CREAT" not in flags:
                    raise TraceError("%s: opened %s, not in the model" %
                                     (where, r))
                ino = live.new_ino()
                ops.append(Op("create", ino, where=where))
                set_entry_path(r, ino, where)
            if "O_TRUNC" in flags and ("O_WRONLY" in flags or
                                       "O_RDWR" in flags):
                ops.append(Op("trunc", ino, 0, where=where))
            fds[ret] = [{"ino": ino, "off": 0,
                         "append": "O_APPEND" in flags, "path": r}]
            continue
        if name in ("dup", "dup2", "dup3"):
            old = _fd_arg(args[0])[0]
            if old in fds:
                fds[ret] = fds[old]
            else:
                fds.pop(ret, None)
            continue
        if name == "close":
            fds.pop(_fd_arg(args[0])[0], None)
            continue
        if name in ("write", "pwrite64", "writev", "pwritev", "pwritev2"):
            fd, dpath = _fd_arg(args[0])
            if fd not in fds:
                if rel(dpath) is not None:
                    raise TraceError("%s: write to %s on an unknown "
                                     "descriptor" % (where, dpath))
                continue
            desc = fds[fd][0]
            if "ino" not in desc:
                raise TraceError("%s: write to a directory" % where)
            if name in ("writev", "pwritev", "pwritev2"):
                data = _iov_data(args[1])
            else:
                data = _str_arg(args[1])
            data = data[:ret]
            if name in ("pwrite64", "pwritev", "pwritev2"):
                off = int(args[3] if name != "pwrite64" else args[3])
            else:
                off = desc["off"]
                if desc["append"]:
                    raise TraceError("%s: O_APPEND is not modelled" % where)
                desc["off"] = off + len(data)
            ops.append(Op("write", desc["ino"], off, data, where=where))
            continue
        if name == "lseek":
            fd = _fd_arg(args[0])[0]
            if fd in fds and "ino" in fds[fd][0]:
                fds[fd][0]["off"] = ret
            continue
        if name == "ftruncate":
            fd = _fd_arg(args[0])[0]
            if fd in fds and "ino" in fds[fd][0]:
                ops.append(Op("trunc", fds[fd][0]["ino"], int(args[1]),
                              where=where))
            continue
        if name == "truncate":
            r = rel(resolve(None, _str_arg(args[0])))
            if r is not None:
                ops.append(Op("trunc", live.lookup(r), int(args[1]),
                              where=where))
            continue
        if name == "fallocate":
            fd = _fd_arg(args[0])[0]
            if fd in fds and "ino" in fds[fd][0]:
                raise TraceError("%s: fallocate is not modelled" % where)
            continue
        if name in ("fsync", "fdatasync"):
            fd, dpath = _fd_arg(args[0])
            if fd not in fds:
                # Not opened in the trace: the path strace shows.
                r = rel(dpath)
                if r is None:
                    continue
                target = "D" if r == "" else live.lookup(r)
                if target is None:
                    raise TraceError("%s: sync of unknown %s" % (where, r))
                fds[fd] = [{"dir": r} if target == "D" else
                           {"ino": target, "off": 0, "append": False}]
            desc = fds[fd][0]
            if "dir" in desc:
                ops.append(Op("dsync", desc["dir"], where=where))
            else:
                ops.append(Op("fsync", desc["ino"], where=where))
            continue
        if name in ("sync", "syncfs"):
            ops.append(Op("sync", where=where))
            continue
        if name in ("unlink", "unlinkat", "rmdir"):
            if name == "unlinkat":
                absolute = resolve(_fd_arg(args[0]), _str_arg(args[1]))
            else:
                absolute = resolve(None, _str_arg(args[0]))
            r = rel(absolute)
            if r is not None:
                set_entry_path(r, None, where)
            continue
        if name in ("mkdir", "mkdirat"):
            if name == "mkdirat":
                absolute = resolve(_fd_arg(args[0]), _str_arg(args[1]))
            else:
                absolute = resolve(None, _str_arg(args[0]))
            r = rel(absolute)
            if r is not None:
                set_entry_path(r, "D", where)
            continue
        if name in ("link", "linkat"):
            if name == "linkat":
                src = resolve(_fd_arg(args[0]), _str_arg(args[1]))
                dst = resolve(_fd_arg(args[2]), _str_arg(args[3]))
            else:
                src = resolve(None, _str_arg(args[0]))
                dst = resolve(None, _str_arg(args[1]))
            rs, rd = rel(src), rel(dst)
            if rd is None:
                continue
            if rs is None:
                raise TraceError("%s: link from outside the box" % where)
            set_entry_path(rd, live.lookup(rs), where)
            continue
        if name in ("rename", "renameat", "renameat2"):
            if name == "rename":
                src = resolve(None, _str_arg(args[0]))
                dst = resolve(None, _str_arg(args[1]))
            else:
                src = resolve(_fd_arg(args[0]), _str_arg(args[1]))
                dst = resolve(_fd_arg(args[2]), _str_arg(args[3]))
                if name == "renameat2" and args[4] not in ("0",):
                    raise TraceError("%s: renameat2 flags %s" %
                                     (where, args[4]))
            rs, rd = rel(src), rel(dst)
            if rs is None or rd is None:
                if rs is not None or rd is not None:
                    raise TraceError("%s: rename across the box's edge" %
                                     where)
                continue
            target = live.lookup(rs)
            if target == "D":
                raise TraceError("%s: directory rename" % where)
            same = os.path.dirname(rs) == os.path.dirname(rd)
            g = new_group()
            set_entry_path(rd, target, where, g)
            set_entry_path(rs, None, where, g if same else new_group())
            continue
        if name in ("symlink", "symlinkat"):
            dst = _str_arg(args[-1])
            if rel(resolve(_fd_arg(args[1]) if name == "symlinkat" else
                           None, dst)) is not None:
                raise TraceError("%s: symbolic links are not modelled" %
                                 where)
            continue
    if len(pids) > 1:
        raise TraceError("more than one process touched the box: %s" %
                         sorted(pids))
    return ops


# ---------------------------------------------------------------------------
# Crash states


class CrashState:
    """One state of the disk after a power cut: files[path] = bytes,
    dirs (relative paths), the messages the server had accepted before
    the cut, and how it was made (for reports)."""

    __slots__ = ("files", "inodes", "dirs", "accepted", "point", "variant",
                 "where", "key")

    def describe(self):
        return "crash before op %d (%s), %s" % (self.point, self.where,
                                               self.variant)


class CrashSpace:
    def __init__(self, initial, ops, skip=lambda path: False):
        self.initial = initial
        self.ops = ops
        self.skip = skip
        # The crash points: before each sync, and after the last op.
        self.points = [i for i, op in enumerate(ops)
                       if op.kind in ("fsync", "dsync", "sync")]
        self.points.append(len(ops))

    def pending(self, c):
        """Indices of the operations before c not made durable by a sync
        before c."""
        synced_ino = {}     # ino -> index of last fsync before c
        synced_dir = {}
        last_sync = -1
        for i in range(c):
            op = self.ops[i]
            if op.kind == "fsync":
                synced_ino[op.a] = i
            elif op.kind == "dsync":
                synced_dir[op.a] = i
            elif op.kind == "sync":
                last_sync = i
        out = []
        for i in range(c):
            op = self.ops[i]
            if i < last_sync:
                continue
            if op.kind in ("write", "trunc"):
                if synced_ino.get(op.a, -1) > i:
                    continue
                out.append(i)
            elif op.kind == "ent":
                if synced_dir.get(op.a, -1) > i:
                    continue
                out.append(i)
        return out

    def build(self, c, decide):
        """The state at crash point c; decide(i, op) says what became of
        pending operation i: "apply", "lose", or ("tear", [sectors kept])."""
        pend = set(self.pending(c))
        entries = dict(self.initial.entries)
        data = {k: bytearray(v) for k, v in self.initial.data.items()}
        group_choice = {}
        accepted = []
        for i in range(c):
            op = self.ops[i]
            if op.kind == "accept":
                accepted.append(op.a)
                continue
            if op.kind == "create":
                data[op.a] = bytearray()
                continue
            choice = "apply"
            if i in pend:
                if op.kind == "ent" and op.group is not None and \
                        op.group in group_choice:
                    choice = group_choice[op.group]
                else:
                    choice = decide(i, op)
                    if op.kind == "ent" and op.group is not None:
                        group_choice[op.group] = choice
            if choice == "lose":
                continue
            if op.kind == "ent":
                entries.pop((op.a, op.b), None)
                if op.c is not None:
                    entries[(op.a, op.b)] = op.c
            elif op.kind == "trunc":
                buf = data[op.a]
                if op.b < len(buf):
                    del buf[op.b:]
                else:
                    buf.extend(b"\0" * (op.b - len(buf)))
            elif op.kind == "write":
                buf = data[op.a]
                pieces = [(op.b, op.c)]
                if choice != "apply":
                    pieces = _sectors(op.b, op.c, choice[1])
                for off, chunk in pieces:
                    end = off + len(chunk)
                    if end > len(buf):
                        buf.extend(b"\0" * (end - len(buf)))
                    buf[off:end] = chunk
        t = Tree()
        t.entries = entries
        st = CrashState()
        st.files = {}
        st.inodes = {}
        for p, ino in t.files().items():
            if self.skip(p):
                continue
            st.files[p] = bytes(data[ino])
            st.inodes[p] = ino
        st.dirs = sorted(t.dirs())
        st.accepted = accepted
        st.point = c
        st.where = self.ops[c].where if c < len(self.ops) else "the end"
        h = hashlib.sha256()
        first = {}
        for p in sorted(st.files):
            h.update(p.encode() + b"\0" + hashlib.sha256(
                st.files[p]).digest())
            h.update(first.setdefault(st.inodes[p], p).encode() + b"\0")
        for d in st.dirs:
            h.update(b"D" + d.encode() + b"\0")
        for a in accepted:
            h.update(b"A" + a.encode() + b"\0")
        st.key = h.hexdigest()
        return st

    def variants(self, c, rng, nrandom):
        """(name, decide) pairs for crash point c."""
        pend = self.pending(c)
        ops = self.ops
        out = [("every pending write applied (kill -9)",
                lambda i, op: "apply"),
               ("every pending write lost", lambda i, op: "lose")]
        if not pend:
            return out[:1]
        by_ino = collections.defaultdict(list)
        by_dir = collections.defaultdict(list)
        for i in pend:
            op = ops[i]
            (by_ino if op.kind in ("write", "trunc") else by_dir)[
                op.a].append(i)
        for ino, idx in sorted(by_ino.items()):
            lost = set(idx)
            out.append(("pending data of inode %d lost, the rest applied" %
                        ino, lambda i, op, lost=lost:
                        "lose" if i in lost else "apply"))
            lost_rest = set(pend) - lost
            out.append(("only the pending data of inode %d applied" % ino,
                        lambda i, op, lost=lost_rest:
                        "lose" if i in lost else "apply"))
            writes = [i for i in idx if ops[i].kind == "write" and
                      len(ops[i].c) > SECTOR]
            if writes:
                w = writes[-1]
                n = _nsectors(ops[w].b, ops[w].c)
                keep = list(range(max(1, n // 2)))
                out.append(("last pending write of inode %d torn (first "
                            "%d of %d sectors)" % (ino, len(keep), n),
                            lambda i, op, w=w, keep=keep:
                            ("tear", keep) if i == w else "apply"))
        for d, idx in sorted(by_dir.items()):
            lost = set(idx)
            out.append(("pending entries of '%s/' lost, the rest applied" %
                        d, lambda i, op, lost=lost:
                        "lose" if i in lost else "apply"))
        for k in range(nrandom):
            seed = rng.randrange(1 << 30)

            def decide(i, op, seed=seed):
                r = random.Random(seed * 1000003 + i)
                x = r.random()
                if op.kind != "write" or len(op.c) <= SECTOR:
                    return "apply" if x < 0.5 else "lose"
                if x < 0.35:
                    return "apply"
                if x < 0.7:
                    return "lose"
                n = _nsectors(op.b, op.c)
                if r.random() < 0.5:
                    return ("tear", list(range(r.randrange(n))))
                return ("tear", [s for s in range(n) if r.random() < 0.5])
            out.append(("random pending subset, seed %d" % seed, decide))
        return out

    def states(self, seed=1, nrandom=2, points=None):
        """Yields every distinct CrashState, in order of crash point."""
        rng = random.Random(seed)
        seen = set()
        for c in (points if points is not None else self.points):
            for name, decide in self.variants(c, rng, nrandom):
                st = self.build(c, decide)
                st.variant = name
                if st.key in seen:
                    continue
                seen.add(st.key)
                yield st


def _nsectors(off, data):
    first = off // SECTOR
    last = (off + len(data) - 1) // SECTOR
    return last - first + 1


def _sectors(off, data, keep):
    """The pieces of a write at off that land in the sectors kept (indices
    from the write's first sector)."""
    keep = set(keep)
    first = off // SECTOR
    out = []
    pos = 0
    while pos < len(data):
        s = (off + pos) // SECTOR
        end = min(len(data), (s + 1) * SECTOR - off)
        if s - first in keep:
            out.append((off + pos, data[pos:end]))
        pos = end
    return out


def materialize(state, root):
    """Writes the state's tree under root (which must not exist); names of
    one inode are hard links of one file."""
    os.makedirs(root, mode=0o700)
    for d in state.dirs:
        if d:
            os.makedirs(os.path.join(root, d), mode=0o700, exist_ok=True)
    written = {}
    for p, content in sorted(state.files.items()):
        full = os.path.join(root, p)
        ino = state.inodes[p]
        if ino in written:
            os.link(written[ino], full)
            continue
        written[ino] = full
        fd = os.open(full, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(content)


def dump(initial, ops, out):
    """Writes the operations, one a line, with the paths of the inodes."""
    names = {ino: p for p, ino in initial.files().items()}
    for op in ops:
        if op.kind == "ent" and isinstance(op.c, int):
            names.setdefault(op.c, os.path.join(op.a, op.b))
    for i, op in enumerate(ops):
        if op.kind in ("write", "trunc", "fsync", "create"):
            what = "%s %s" % (op.kind, names.get(op.a, "ino %s" % op.a))
            if op.kind == "write":
                what += " @%d +%d" % (op.b, len(op.c))
            elif op.kind == "trunc":
                what += " to %d" % op.b
        elif op.kind == "ent":
            what = "%s %s%s" % (
                "rm" if op.c is None else "mkdir" if op.c == "D" else "ln",
                os.path.join(op.a, op.b), "" if not isinstance(op.c, int) else " -> " +
                names.get(op.c, str(op.c)))
            if op.group:
                what += " (group %d)" % op.group
        else:
            what = "%s %s" % (op.kind, op.a if op.a is not None else "")
        out.write("%4d %s\n" % (i, what))
