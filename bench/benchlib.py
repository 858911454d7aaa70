"""benchlib.py - what the bench scripts share.

    runs = measure([BIN, "-c", conf, "tick"], repeats=30, warmup=3)
    runs = repeat(lambda i: runrss(argv, cwd=fresh_box(i))[0], 5, 1)
    s = Stats([r.wall for r in runs])     # s.median, s.min, s.max
    sec = Section("Idle tick", "what it measures ...")
    sec.table(["side", "time", "peak RSS"], rows); sec.write()
    summary("idle tick, 100k rows", ours, peer, ratio, goal, met)

Every process measured runs under runrss (bench/runrss.c, built by make
bench): its wall time, CPU time and peak RSS come from wait4(2) for that
child alone.  A child started from Python would carry the interpreter's
~10 MB into its ru_maxrss (Linux keeps the high-water mark across exec).

Each script prints its section and appends it to bench/results.md;
`benchlib.py start` rewrites that file with the run's header (date,
machine, builds), `benchlib.py finish` adds the summary table of every
workload against its goal.  BENCH_QUICK=1 shrinks every workload, for
working on the harness; its figures mean nothing.
"""
import datetime
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.abspath(os.environ.get("BENCH_DIR") or
                      os.path.join(ROOT, "build", "bench"))
RESULTS = os.environ.get("BENCH_RESULTS") or os.path.join(HERE, "results.md")
SUMMARY = os.path.join(OUT, "summary.jsonl")
RUNRSS = os.path.join(OUT, "runrss")
DURABLE = os.path.join(OUT, "durable")
# An empty program built like runrss: the floor of a process run.
EMPTY = os.path.join(OUT, "empty")
PEERS = os.path.join(OUT, "peers", "root")
CACHE = os.path.join(OUT, "cache")
PYTHON = "/usr/bin/python3"
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")

BIN = os.environ.get("SENDREPORTS_BIN") or os.path.join(ROOT, "build",
                                                        "host", "sendreports")
# Empty when the static build was skipped; STATIC_NOTE says why.
STATIC_BIN = os.environ.get("SENDREPORTS_STATIC_BIN", "")
STATIC_NOTE = os.environ.get("SENDREPORTS_STATIC_NOTE", "")
# The binary the workloads run: the static one, what a box runs, when
# it was built; else the dynamic build.
MAIN_BIN = STATIC_BIN or BIN
MAIN_NAME = "static" if STATIC_BIN else "dynamic"
MULTIARCH = "%s-linux-gnu" % platform.machine()


class BenchError(Exception):
    pass


def child_env(home=None, **extra):
    """A small, fixed environment: the same for every side."""
    env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "TZ": "UTC",
           "LC_ALL": "C.UTF-8", "HOME": home or OUT}
    env.update(extra)
    return env


def peer_env(home=None):
    """For a peer extracted under build/bench/peers: its libraries."""
    libs = [os.path.join(PEERS, "usr", "lib", MULTIARCH),
            os.path.join(PEERS, "lib", MULTIARCH),
            os.path.join(PEERS, "usr", "lib", "postfix")]
    return child_env(home, LD_LIBRARY_PATH=":".join(libs))


def workdir(name):
    """A fresh directory under build/bench/run (this disk, not a tmpfs)."""
    base = os.path.join(OUT, "run")
    os.makedirs(base, exist_ok=True)
    return tempfile.mkdtemp(prefix=name + "-", dir=base)


class Run:
    """One process run: wall, user and sys in seconds, peak RSS in KB."""
    __slots__ = ("wall", "user", "sys", "rss_kb", "minflt", "nvcsw",
                 "status")

    def __init__(self, line):
        f = line.split()
        self.wall, self.user, self.sys = (int(x) / 1e6 for x in f[:3])
        self.rss_kb, self.minflt, self.nvcsw, self.status = (
            int(x) for x in f[3:7])

    @property
    def cpu(self):
        return self.user + self.sys


def _tail(path, n=20):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join(lines[-n:])
    except OSError:
        return ""


def runrss(argv, count=1, cwd=None, env=None, stdin=None, log=None,
           check=True):
    """Runs argv count times under runrss; a list of Run.  The child's
    stdout and stderr go to log (a file that is appended to; by default
    a scratch file, shown when a run fails)."""
    scratch = None
    if log is None:
        fd, scratch = tempfile.mkstemp(prefix="runrss-", suffix=".log",
                                       dir=OUT)
        os.close(fd)
        log = scratch
    cmd = [RUNRSS, "-n", str(count), "-l", log]
    if stdin:
        cmd += ["-i", stdin]
    cmd += ["--"] + [str(a) for a in argv]
    try:
        r = subprocess.run(cmd, cwd=cwd, env=env or child_env(),
                           capture_output=True, text=True)
        runs = [Run(line) for line in r.stdout.splitlines() if line.strip()]
        if r.returncode == 2 or (check and (r.returncode != 0 or
                                            len(runs) != count)):
            raise BenchError("%s: exit %s after %d of %d runs\n%s%s" % (
                " ".join(str(a) for a in argv),
                runs[-1].status if runs else "?", len(runs), count,
                r.stderr, _tail(log)))
        return runs
    finally:
        if scratch:
            os.unlink(scratch)


def measure(argv, repeats, warmup=1, **kw):
    """warmup + repeats runs of the same command in one runrss; the
    measured ones."""
    return runrss(argv, count=warmup + repeats, **kw)[warmup:]


def repeat(fn, repeats, warmup=1):
    """fn(i) -> Run, for i in 0 .. warmup+repeats-1; the measured ones.
    For runs that each need a fresh copy of their input."""
    out = []
    for i in range(warmup + repeats):
        r = fn(i)
        if i >= warmup:
            out.append(r)
    return out


def interleave(sides, rounds, warmup=1):
    """Runs the sides in turn, round after round, so that a change in the
    machine's load falls on all of them alike.  sides: [(name, fn)], fn()
    -> [Run] for one round; the first warmup rounds are discarded.
    {name: [Run]}."""
    out = {name: [] for name, _ in sides}
    for i in range(warmup + rounds):
        for name, fn in sides:
            runs = fn()
            if i >= warmup:
                out[name] += runs
    return out


class Stats:
    def __init__(self, values):
        self.values = list(values)
        if not self.values:
            raise BenchError("no values")
        self.median = statistics.median(self.values)
        self.min = min(self.values)
        self.max = max(self.values)

    def __len__(self):
        return len(self.values)


def walls(runs):
    return Stats(r.wall for r in runs)


def rates(runs, count):
    """Items per second of each run."""
    return Stats(count / r.wall for r in runs)


def peak_mb(runs):
    return max(r.rss_kb for r in runs) / 1024


def fmt_time(s):
    if s < 0.01:
        return "%.2f ms" % (s * 1e3)
    if s < 1:
        return "%.0f ms" % (s * 1e3)
    if s < 10:
        return "%.2f s" % s
    return "%.1f s" % s


def fmt_rate(x):
    if x >= 100:
        return "%.0f" % x
    if x >= 10:
        return "%.1f" % x
    return "%.2f" % x


def cell_time(st):
    """median (min–max), the unit written once when all three share it."""
    med, lo, hi = fmt_time(st.median), fmt_time(st.min), fmt_time(st.max)
    unit = med.split()[1]
    if lo.split()[1] == unit and hi.split()[1] == unit:
        return "%s (%s–%s)" % (med, lo.split()[0], hi.split()[0])
    return "%s (%s–%s)" % (med, lo, hi)


def fmt_bytes(n):
    if n < 1e6:
        return "%.0f KB" % (n / 1e3)
    return "%.1f MB" % (n / 1e6)


def cell_rate(st, unit="/s"):
    return "%s%s (%s–%s)" % (fmt_rate(st.median), unit, fmt_rate(st.min),
                             fmt_rate(st.max))


def ratio(slow, fast):
    """slow/fast on medians, with the range from the extremes (worst:
    slow's min over fast's max; best: the other way)."""
    return (slow.median / fast.median, slow.min / fast.max,
            slow.max / fast.min)


def fmt_ratio(r):
    med, lo, hi = r
    f = (lambda x: "%.0f" % x) if med >= 20 else (lambda x: "%.2f" % x)
    return "%s× (%s–%s)" % (f(med), f(lo), f(hi))


def sink_port():
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise BenchError("server exited (%s) before listening on %d"
                             % (proc.returncode, port))
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise BenchError("nothing listens on 127.0.0.1:%d" % port)


def stop(proc):
    """Stops one server we started, by its PID: SIGTERM, then SIGKILL."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def strace_counts(argv, cwd=None, env=None, syscalls=None):
    """One run under strace -f -c; {syscall: (calls, errors)} and the
    total.  syscalls: the -e trace= list (None: all)."""
    fd, out = tempfile.mkstemp(prefix="strace-", dir=OUT)
    os.close(fd)
    cmd = ["strace", "-f", "-c", "-o", out]
    if syscalls:
        cmd += ["-e", "trace=" + ",".join(syscalls)]
    try:
        r = subprocess.run(cmd + [str(a) for a in argv], cwd=cwd,
                           env=env or child_env(), capture_output=True,
                           text=True)
        if r.returncode != 0:
            raise BenchError("strace %s: exit %d\n%s" % (argv[0],
                             r.returncode, r.stderr[-2000:]))
        with open(out) as f:
            text = f.read()
    finally:
        os.unlink(out)
    counts, secs = {}, {}
    for line in text.splitlines():
        f = line.split()
        # % time, seconds, usecs/call, calls, [errors], syscall
        if len(f) >= 5 and re.match(r"^[\d.]+$", f[0]) and f[-1] != "total":
            errors = int(f[4]) if len(f) == 6 else 0
            counts[f[-1]] = (int(f[3]), errors)
            secs[f[-1]] = float(f[1])
    return counts, secs


# Boxes ---------------------------------------------------------------

class Box:
    """A sendreports installation in one directory: its configuration,
    reports.db made by initdb (with the partial index of the due query),
    spool/ and pdf/, every path relative to the configuration."""

    def __init__(self, root, smtp_port=None, extra="", binary=None):
        self.root = root
        self.bin = binary or MAIN_BIN
        self.conf = os.path.join(root, "sendreports.ini")
        self.db = os.path.join(root, "reports.db")
        self.pdf = os.path.join(root, "pdf")
        # Nothing listens on the default port: an idle tick must not try.
        port = smtp_port or 9
        os.makedirs(root, exist_ok=True)
        with open(self.conf, "w") as f:
            f.write("[database]\npath = reports.db\n[spool]\ndir = spool\n"
                    "[pdf]\ndir = pdf\nmax_pages = 100000\n"
                    "[mail]\nfrom = Rapports <rapports@example.com>\n"
                    "timezone = UTC\n[smtp]\nurl = smtp://127.0.0.1:%d\n"
                    "tls = none\n[log]\nsyslog = no\n%s" % (port, extra))
        os.chmod(self.conf, 0o600)

    def run(self, *args, check=True):
        r = subprocess.run([self.bin, "-c", self.conf] + list(args),
                           cwd=self.root, env=child_env(),
                           capture_output=True, text=True)
        if check and r.returncode != 0:
            raise BenchError("sendreports %s: exit %d\n%s" % (
                " ".join(args), r.returncode, r.stderr[-2000:]))
        return r

    def initdb(self):
        self.run("initdb")
        return self

    def argv(self, *args, binary=None):
        return [binary or self.bin, "-c", self.conf] + list(args)

    def insert(self, rows):
        """rows: an iterable of dicts, all with the same keys; one
        transaction."""
        import sqlite3
        rows = iter(rows)
        try:
            first = next(rows)
        except StopIteration:
            return
        cols = list(first)
        sql = "INSERT INTO scheduled_reports (%s) VALUES (%s)" % (
            ", ".join(cols), ", ".join("?" for _ in cols))
        c = sqlite3.connect(self.db)
        try:
            with c:
                c.execute(sql, [first[k] for k in cols])
                c.executemany(sql, ([r[k] for k in cols] for r in rows))
        finally:
            c.close()

    def count(self, where):
        import sqlite3
        c = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True)
        try:
            return c.execute("SELECT count(*) FROM scheduled_reports "
                             "WHERE " + where).fetchone()[0]
        finally:
            c.close()

    def clone(self, dest):
        """A copy to run on: the PDFs hard-linked (only read), every other
        file copied."""
        def copy(src, dst):
            if src.endswith(".pdf") and os.sep + "pdf" + os.sep in src:
                os.link(src, dst)
            else:
                shutil.copy2(src, dst)
        shutil.copytree(self.root, dest, copy_function=copy)
        b = Box.__new__(Box)
        b.root, b.bin = dest, self.bin
        b.conf = os.path.join(dest, "sendreports.ini")
        b.db = os.path.join(dest, "reports.db")
        b.pdf = os.path.join(dest, "pdf")
        return b


def make_pdf(path, i, size):
    """A stored PDF of size bytes: a PDF's header and trailer around
    random bytes (incompressible, as a real PDF's streams are)."""
    head = b"%PDF-1.4\n% bench " + str(i).encode() + b"\n"
    tail = b"\n%%EOF\n"
    with open(path, "wb") as f:
        f.write(head + os.urandom(size - len(head) - len(tail)) + tail)


def utc(dt):
    """Django's text for a UTC time."""
    return dt.strftime("%Y-%m-%d %H:%M:%S")


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc).replace(
        tzinfo=None, microsecond=0)


def tree_bytes(path):
    total = 0
    for d, _, files in os.walk(path):
        for name in files:
            total += os.path.getsize(os.path.join(d, name))
    return total


# Results -------------------------------------------------------------

def _md_table(headers, rows):
    out = ["| " + " | ".join(headers) + " |",
           "| " + " | ".join("---" for _ in headers) + " |"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


class Section:
    """One workload's part of results.md: a heading, paragraphs, tables
    and code blocks, printed and appended in one piece."""

    def __init__(self, title, intro=""):
        self.parts = ["## " + title]
        if intro:
            self.parts.append(intro.strip())

    def para(self, text):
        self.parts.append(text.strip())

    def table(self, headers, rows):
        self.parts.append(_md_table(headers, rows))

    def code(self, text):
        self.parts.append("```\n" + text.rstrip() + "\n```")

    def write(self):
        text = "\n\n".join(self.parts) + "\n\n"
        sys.stdout.write(text)
        sys.stdout.flush()
        with open(RESULTS, "a") as f:
            f.write(text)


def summary(workload, ours, peer, result, goal, met):
    """One row of the summary table; met: True, False or None (no goal
    that this run can judge)."""
    os.makedirs(OUT, exist_ok=True)
    with open(SUMMARY, "a") as f:
        f.write(json.dumps({"workload": workload, "ours": ours,
                            "peer": peer, "result": result, "goal": goal,
                            "met": met}) + "\n")


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _mem_total():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return "%.0f GiB" % (int(line.split()[1]) / 1048576)
    except OSError:
        pass
    return "?"


def _out(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def _deb_version(pkg):
    return _out(["dpkg-query", "-W", "-f=${Version}", pkg]) or "not installed"


def _binary(path):
    if not path or not os.path.exists(path):
        return "none"
    kind = _out(["file", "-b", path]).split(",")
    linked = [k.strip() for k in kind if "linked" in k]
    return "`%s` %s, %.0f KB, %s" % (
        os.path.relpath(path, ROOT),
        "; ".join(_out([path, "--version"]).splitlines()) or "?",
        os.path.getsize(path) / 1024, linked[0] if linked else "?")


def start():
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "started"), "w") as f:
        f.write("%f\n" % time.time())
    if os.path.exists(SUMMARY):
        os.unlink(SUMMARY)
    peers = ""
    try:
        with open(os.path.join(OUT, "peers", "versions")) as f:
            peers = ", ".join("%s %s" % tuple(l.split(None, 1))
                              for l in f.read().split("\n") if l.strip())
    except OSError:
        peers = "not fetched"
    fs = _out(["stat", "-f", "-c", "%T", OUT])
    static = _binary(STATIC_BIN) if STATIC_BIN else \
        "skipped: " + (STATIC_NOTE or "BENCH_STATIC=0")
    lines = [
        "# sendreports: benchmark results",
        "",
        "Written by `make bench` (bench/*.py); every figure below comes "
        "from this one run, the sides of each workload taking turns in "
        "the same minutes. Times: median (min–max) over the "
        "repeats after a warm-up; peak RSS: the largest `ru_maxrss` of "
        "the process (and the children it waited for) over the repeats. "
        "The machine is shared and noisy: read the ratios, not the "
        "absolute figures.%s" % (
            " **BENCH_QUICK=1: reduced workloads, figures not "
            "comparable.**" if QUICK else ""),
        "",
        "- date: %s" % datetime.datetime.now(datetime.timezone.utc)
        .strftime("%Y-%m-%d %H:%M UTC"),
        "- machine: %s cores (`nproc`), %s, Linux %s, %s; load average "
        "at start %s; work files on %s" % (
            _out(["nproc"]) or os.cpu_count(), _cpu_model(),
            platform.release(), _mem_total(),
            "%.2f %.2f %.2f" % os.getloadavg(), fs or "?"),
        "- dynamic build: %s" % _binary(BIN),
        "- static build: %s" % static,
        "- peers: Python %s (`%s`), python3-django %s, python3-reportlab "
        "%s, strace %s; extracted, not installed: %s" % (
            _out([PYTHON, "-c", "import platform; "
                  "print(platform.python_version())"]), PYTHON,
            _deb_version("python3-django"),
            _deb_version("python3-reportlab"), _deb_version("strace"),
            peers),
        "",
        "<!-- summary -->",
        "",
        "",
    ]
    with open(RESULTS, "w") as f:
        f.write("\n".join(lines))


def finish(failed):
    rows = []
    try:
        with open(SUMMARY) as f:
            rows = [json.loads(l) for l in f if l.strip()]
    except OSError:
        pass
    try:
        with open(os.path.join(OUT, "started")) as f:
            elapsed = time.time() - float(f.read())
    except (OSError, ValueError):
        elapsed = None
    mark = {True: "yes", False: "**no**", None: "—"}
    table = _md_table(
        ["workload", "sendreports", "peer", "result", "goal", "met"],
        [[r["workload"], r["ours"], r["peer"], r["result"], r["goal"],
          mark[r["met"]]] for r in rows])
    text = "## Summary\n\n" + table + "\n"
    if elapsed is not None:
        text += "\n`make bench` took %.1f minutes in all (builds, " \
                "downloads and set-up included).\n" % (elapsed / 60)
    if failed:
        text += "\n**Failed:** %s (see the output of make bench).\n" % \
                ", ".join(failed)
    with open(RESULTS) as f:
        body = f.read()
    body = body.replace("<!-- summary -->", text.rstrip("\n"), 1)
    with open(RESULTS, "w") as f:
        f.write(body)
    sys.stdout.write(text)


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("start", "finish"):
        sys.exit("usage: benchlib.py start | finish [FAILED...]")
    if sys.argv[1] == "start":
        start()
    else:
        finish(sys.argv[2:])


if __name__ == "__main__":
    main()
