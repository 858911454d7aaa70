"""Fixtures for the integration tests: a throw-away box (configuration,
reports database, PDF directory, spool) and the real binary to drive."""
import email
import email.policy
import os
import sqlite3
import subprocess
import time
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import pdfgen  # noqa: E402

BIN = os.environ.get("SENDREPORTS_BIN")
VALGRIND = os.environ.get("SENDREPORTS_VALGRIND") == "1"
# A binary for another architecture runs under qemu-user, e.g.
# SENDREPORTS_EMULATOR=qemu-aarch64-static (make check-cross).
EMULATOR = os.environ.get("SENDREPORTS_EMULATOR", "").split()

COLUMNS = ["id", "title", "recipients", "cc", "bcc", "subject", "body",
           "scheduled_at", "sent", "sent_at", "pdf_path", "report_data",
           "schedule", "timezone", "last_error"]

NOW = "2026-11-23 08:00:00"          # the clock of most tests (UTC)
NOW_ARG = "2026-11-23T08:00:00Z"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "valgrind: also run under valgrind by make check")


def run_env(extra=None):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C",
           "TZ": "UTC"}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    for k, v in (extra or {}).items():
        if v is None:
            env.pop(k, None)        # e.g. TZ unset
        else:
            env[k] = v
    return env


def now_utc(delta=0):
    """The real clock in the database's format, delta seconds away."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + delta))


def wait_for(cond, timeout=20.0):
    """Polls cond() until it is true (True) or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


def kill_from_pidfile(pid):
    """Teardown: SIGKILL the daemon whose pid was read from its pidfile
    (None: nothing to do), if it still runs."""
    if pid:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass


def insert_report(db, row):
    """Inserts row (column: value) into the reports database at path db,
    as the sync job would; returns its id."""
    c = sqlite3.connect(db, timeout=10)
    try:
        with c:
            cur = c.execute(
                "INSERT INTO scheduled_reports (%s) VALUES (%s)" %
                (", ".join(row), ", ".join("?" * len(row))),
                list(row.values()))
        return cur.lastrowid
    finally:
        c.close()


class Box:
    """One edge box: a directory with a configuration and its files."""

    def __init__(self, root):
        self.root = str(root)
        self.conf = os.path.join(self.root, "sendreports.ini")
        self.db = os.path.join(self.root, "reports.db")
        self.pdf_dir = os.path.join(self.root, "pdf")
        self.spool = os.path.join(self.root, "spool")
        os.makedirs(self.pdf_dir)
        self.write_conf()

    def write_conf(self, extra="", mode=0o600, **sections):
        text = ("[database]\npath = reports.db\nbusy_timeout_ms = 2000\n"
                "[spool]\ndir = spool\n[pdf]\ndir = pdf\n"
                "[mail]\nfrom = Rapports <rapports@example.com>\n"
                "timezone = UTC\n[log]\nsyslog = no\n") + extra
        with open(self.conf, "w") as f:
            f.write(text)
        os.chmod(self.conf, mode)

    def cmd(self, *args):
        return EMULATOR + [BIN, "-c", self.conf] + [str(a) for a in args]

    def run(self, *args, env=None, timeout=120, input=None, argv=None):
        argv = EMULATOR + argv if argv else self.cmd(*args)
        if VALGRIND:
            argv = ["valgrind", "-q", "--error-exitcode=99",
                    "--leak-check=full",
                    "--errors-for-leak-kinds=definite,indirect"] + argv
        return subprocess.run(argv, capture_output=True, text=True,
                              timeout=timeout, env=run_env(env),
                              input=input, cwd=self.root)

    def initdb(self):
        r = self.run("initdb")
        assert r.returncode == 0, r.stderr
        return r

    def connect(self):
        c = sqlite3.connect(self.db, timeout=10)
        c.row_factory = sqlite3.Row
        return c

    def add(self, **cols):
        """Inserts a report as the sync job would; returns its id."""
        row = {"title": "Ventes", "recipients": "a@example.com",
               "scheduled_at": "2026-11-23 07:00:00"}
        row.update(cols)
        return insert_report(self.db, row)

    def add_pdf(self, name, size=0, text="Stored report"):
        path = os.path.join(self.pdf_dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(pdfgen.make_pdf(text, size))
        return path

    def spool_due(self, n=1, pdf_size=0, **cols):
        """initdb, n due reports each with its stored PDF (r<i>.pdf), and
        a send that spools them; returns the reports' ids."""
        self.initdb()
        ids = []
        for i in range(n):
            self.add_pdf("r%d.pdf" % i, size=pdf_size + i if pdf_size
                         else 0)
            ids.append(self.add(pdf_path="r%d.pdf" % i, **cols))
        r = self.run("send", "--now", NOW_ARG)
        assert r.returncode == 0, r.stderr
        return ids

    def rows(self):
        c = self.connect()
        try:
            return {r["id"]: dict(r) for r in
                    c.execute("SELECT * FROM scheduled_reports")}
        finally:
            c.close()

    def queue(self):
        q = os.path.join(self.spool, "queue")
        return sorted(os.listdir(q)) if os.path.isdir(q) else []

    def tmp_files(self):
        t = os.path.join(self.spool, "tmp")
        return sorted(os.listdir(t)) if os.path.isdir(t) else []

    def read_spool(self, name):
        """Returns (envelope dict, raw message bytes, parsed message)."""
        with open(os.path.join(self.spool, "queue", name), "rb") as f:
            data = f.read()
        head, sep, body = data.partition(b"\r\n\r\n")
        assert sep, "no end of envelope"
        lines = head.split(b"\r\n")
        assert lines[0] == b"SENDREPORTS-SPOOL 1"
        env = {"Recipient": []}
        for line in lines[1:]:
            k, _, v = line.decode().partition(": ")
            if k == "Recipient":
                env[k].append(v)
            else:
                env[k] = v
        msg = email.message_from_bytes(body, policy=email.policy.default)
        return env, body, msg


@pytest.fixture
def box(tmp_path):
    if not BIN:
        pytest.fail("SENDREPORTS_BIN is not set: run the tests with make check")
    return Box(tmp_path)


@pytest.fixture
def ready(box):
    box.initdb()
    return box
