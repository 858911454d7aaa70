#!/usr/bin/python3
"""Crash-state exploration: every state a power cut can leave of a box
during a `send` or a `flush`, and whether the next runs keep the promises.

    crashcheck.py --bin build/host/sendreports [--quick] [--jobs N]
                  [--seed S] [--random K] [--max-states N]
                  [--scenario NAME ...] [--keep DIR] [-v]

For each scenario (SCENARIOS below) a box is prepared (configuration,
reports database, PDFs, spool), the run under test is recorded once with
strace (fsmodel.py), and every crash state of its file operations is built
(fsmodel.CrashSpace).  On each state the program runs again as after a
power cut, against a loopback SMTP server (sink.py): `flush --force` (the
network-up hook at boot), then two ticks of cron (`send`, `flush`, `send`,
`flush`); and the promises of SPEC.md are checked (check_state):

  - every due occurrence is spooled exactly once: the next runs spool an
    occurrence only if the crash state has no trace of it (no file in
    queue/ or failed/, not delivered before the cut);
  - every queued message is delivered or kept: each expected message
    reaches the server (before the cut or after) or, refused, lies in
    failed/ with its reason; a message reaches the server twice only when
    the server had accepted it before the cut and its file was still in
    queue/ (the one repeat the contract allows), with the same Message-ID,
    and its copy is whole (the PDF attachment decodes and ends in %%EOF);
  - the reports are handled: sent = 1 (a recurring one moved to its next
    occurrence), last_error set exactly where the contract says (a report
    given up, a message refused: the delivery error written back), the
    notice of a refused message delivered exactly once;
  - PRAGMA integrity_check is ok on the reports and state databases;
  - nothing temporary is left: spool/tmp/ empty, no *.tmp in the spool, no
    rollback journal;
  - the next runs exit as on a healthy box (send 0 or 65, flush 0).

Prints "<scenario>: N states" per scenario, then each violation with the
crash state that shows it, kept (in a temporary directory, or under
--keep): state/ as the power cut left it, after/ once run again.  Exit 1
when any promise is broken, 2 when the exploration itself failed.
"""

import argparse
import collections
import concurrent.futures
import ctypes
import email
import email.policy
import json
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import fsmodel  # noqa: E402
import pdfgen  # noqa: E402
from sink import ACCEPT_RE, Sink  # noqa: E402

NOW = "2026-11-23T08:00:00Z"        # the recorded run
NEXT = "2026-11-23T08:01:00Z"       # the runs after the power cut
OCC = "2026-11-23 07:00:00"
REFUSE = "refuse@example.com"          # the server refuses the message
PARTIAL = "partial@example.com"        # ... or this one recipient
NOTIFY = "owner@example.com"
CONF = "sendreports.ini"
# The layout of an installed box: the reports database and the PDFs in one
# directory (/var/lib/sendreports), the spool in another.
REPORTS_DB = "lib/reports.db"
PDF_DIR = "lib/pdf"
DOMAIN = "sendreports@example.com"


def msgid(report_id, occurrence="20261123T070000Z", notice=False):
    return "%sr%d.%s.%s" % ("n" if notice else "", report_id, occurrence,
                            DOMAIN)


def spool_name(mid):
    return mid[:-len(DOMAIN) - 1]


def report_of(mid):
    return int(spool_name(mid).split(".")[0].lstrip("nr"))


def occurrence_of(mid):
    """'2026-11-23 07:00:00' of 'r1.20261123T070000Z...'."""
    c = spool_name(mid).split(".")[1]
    return "%s-%s-%s %s:%s:%s" % (c[0:4], c[4:6], c[6:8], c[9:11],
                                  c[11:13], c[13:15])


def run_env(traced=False):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C",
           "TZ": "UTC"}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    if traced:
        # LeakSanitizer cannot run under ptrace.
        env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") +
                               ":detect_leaks=0").lstrip(":")
    return env


def write_conf(root, port, table=None):
    text = ("[database]\npath = %s\nbusy_timeout_ms = 2000\n" % REPORTS_DB +
            ("table = %s\n" % table if table else "") +
            "[spool]\ndir = spool\n[pdf]\ndir = %s\n" % PDF_DIR +
            "[mail]\nfrom = Rapports <rapports@example.com>\n"
            "timezone = UTC\nnotify = %s\n"
            "[smtp]\nurl = smtp://127.0.0.1:%d\ntls = none\ntimeout = 20\n"
            "[log]\nsyslog = no\nlevel = warning\n" % (NOTIFY, port))
    path = os.path.join(root, CONF)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def run(binary, root, *args, timeout=120):
    return subprocess.run([binary, "-c", CONF] + list(args), cwd=root,
                          env=run_env(), capture_output=True, text=True,
                          timeout=timeout)


# ---------------------------------------------------------------------------
# Scenarios


class Scenario:
    """What a box holds before the recorded run, the run, and what must be
    true once the box has run again after any crash of it.

    expect_msgs   {message id: "deliver" | "fail"}: the report messages
    notices       message ids of notices that must reach the server once
    spooled       message ids spooled before the recorded run
    delivered     message ids the server accepted before the recorded run
    reports       {id: ("sent" | "recurring", last_error: None, "set" or
                  a text it contains)}
    coalesced     [(report id, occurrence)] the run log must say coalesced

    With `django`, the reports database is the sync job's own file, as
    Django makes it (rollback journal, not ours: never put in WAL mode),
    holding only its table.
    """

    name = ""
    command = ("send", "--now", NOW)
    django = False
    record_rc = (0,)

    def __init__(self):
        self.expect_msgs = {}
        self.notices = set()
        self.spooled = set()
        self.delivered = set()
        self.reports = {}
        self.coalesced = []

    @property
    def table(self):
        return DJANGO_TABLE if self.django else None

    def add_reports(self, root, rows):
        c = sqlite3.connect(os.path.join(root, REPORTS_DB))
        with c:
            for r in rows:
                if self.django:
                    r = {k: ("" if v is None else v) for k, v in r.items()
                         if k in DJANGO_COLUMNS or k == "id"}
                    for k in DJANGO_COLUMNS:
                        r.setdefault(k, "" if k != "sent" else 0)
                    r["subject"] = None
                c.execute("INSERT INTO %s (%s) VALUES (%s)" % (
                    self.table or "scheduled_reports", ", ".join(r),
                    ", ".join("?" * len(r))), list(r.values()))
        c.close()

    def make_box(self, binary, root, spool=True):
        """The PDFs and the reports database; the spool, unless told not
        to (the first send then makes it)."""
        os.makedirs(os.path.join(root, PDF_DIR), exist_ok=True)
        for name, size in (("a.pdf", 3000), ("c.pdf", 9000)):
            with open(os.path.join(root, PDF_DIR, name), "wb") as f:
                f.write(pdfgen.make_pdf("Stored %s" % name, size))
        if self.django:
            c = sqlite3.connect(os.path.join(root, REPORTS_DB))
            c.executescript(DJANGO_SCHEMA)
            c.close()
        if spool:
            r = run(binary, root, "initdb")
            if r.returncode != 0:
                raise RuntimeError("initdb: %s" % r.stderr)

    def due(self, ids):
        """Adds the reports of BASE with these ids, due at OCC."""
        self.add_reports(self.root, [dict(BASE[i], id=i) for i in ids])
        for i in ids:
            self.expect_msgs[msgid(i)] = "deliver"
            self.reports[i] = ("recurring" if BASE[i].get("schedule") else
                               "sent", None)

    def run_ok(self, binary, *args):
        r = run(binary, self.root, *args, "--now", NOW)
        if r.returncode != 0:
            raise RuntimeError("%s: %s" % (" ".join(args), r.stderr))

    def prepare(self, binary, root, sink):
        raise NotImplementedError


# The reports of the scenarios, by id: stored PDF, fallback PDF, recurring,
# a bad address (given up), refused by the server (5xx, twice), refused
# for one recipient (the other gets it).
BASE = {
    1: {"title": "Ventes", "recipients": "a@example.com",
        "scheduled_at": OCC, "pdf_path": "a.pdf"},
    2: {"title": "Stocks", "recipients": "b@example.com",
        "scheduled_at": OCC, "report_data": json.dumps(
            {"title": "Stocks", "columns": ["Produit", "Qté"],
             "rows": [["Café", 12], ["Thé", 8]] * 30,
             "chart": {"type": "bar", "label_column": 0,
                       "value_column": 1}})},
    3: {"title": "Quotidien", "recipients": "c@example.com",
        "cc": "d@example.com", "scheduled_at": OCC, "pdf_path": "c.pdf",
        "schedule": "0 7 * * *", "timezone": "UTC"},
    4: {"title": "Refusé", "recipients": REFUSE, "scheduled_at": OCC,
        "pdf_path": "a.pdf"},
    5: {"title": "Refusé aussi", "recipients": REFUSE, "scheduled_at": OCC,
        "report_data": json.dumps({"title": "x", "rows": [[1]]})},
    6: {"title": "En partie", "recipients": "g@example.com, " + PARTIAL,
        "scheduled_at": OCC, "pdf_path": "a.pdf"},
    7: {"title": "Adresse", "recipients": "not an address",
        "scheduled_at": OCC, "pdf_path": "a.pdf"},
    9: {"title": "Manqués", "recipients": "h@example.com",
        "scheduled_at": "2026-11-20 07:00:00", "pdf_path": "a.pdf",
        "schedule": "0 7 * * *", "timezone": "UTC"},
}

DJANGO_TABLE = "reports_scheduledreport"
DJANGO_COLUMNS = ("title", "recipients", "subject", "body", "scheduled_at",
                  "sent", "sent_at", "pdf_path", "report_data", "last_error")
DJANGO_SCHEMA = (
    'CREATE TABLE "reports_scheduledreport" ("id" integer NOT NULL '
    'PRIMARY KEY AUTOINCREMENT, "title" varchar(200) NOT NULL, '
    '"recipients" text NOT NULL, "subject" varchar(255) NULL, '
    '"body" text NOT NULL, "scheduled_at" datetime NOT NULL, '
    '"sent" bool NOT NULL, "sent_at" datetime NULL, "pdf_path" '
    'varchar(500) NOT NULL, "report_data" text NOT NULL, '
    '"last_error" text NOT NULL);')


class SendScenario(Scenario):
    """send of due reports: a stored PDF, a fallback PDF, a recurring one,
    one given up for a bad address, and a recurring one that missed three
    days (one message, the others coalesced in the run log)."""
    name = "send"
    record_rc = (65,)

    def prepare(self, binary, root, sink):
        self.make_box(binary, root)
        self.due([1, 2, 3, 7, 9])
        self.expect_msgs.pop(msgid(7))
        self.reports[7] = ("sent", "set")
        self.expect_msgs.pop(msgid(9))
        self.expect_msgs[msgid(9, "20261120T070000Z")] = "deliver"
        self.coalesced = [(9, "2026-11-%d 07:00:00" % d)
                          for d in (21, 22, 23)]


class FlushScenario(Scenario):
    """flush of a queue of six messages: three delivered, two refused (5xx:
    moved to failed/, the owner told), one delivered with a recipient
    refused (the owner told)."""
    name = "flush"
    command = ("flush", "--now", NOW)

    def prepare(self, binary, root, sink):
        self.make_box(binary, root)
        self.due([1, 2, 3, 4, 5, 6] if not self.django else [1, 2, 4, 6])
        self.run_ok(binary, "send")
        for i in (4, 5, 6):
            if msgid(i) in self.expect_msgs:
                if i != 6:
                    self.expect_msgs[msgid(i)] = "fail"
                self.notices.add(msgid(i, notice=True))
                self.reports[i] = ("sent", "554" if i != 6 else PARTIAL)
        self.spooled = set(self.expect_msgs)


class FeedbackScenario(FlushScenario):
    """The send after that flush: it writes the refusals back to the
    reports' last_error and spools their notices, while queuing a new
    report."""
    name = "feedback"
    command = ("send", "--now", NOW)

    def prepare(self, binary, root, sink):
        FlushScenario.prepare(self, binary, root, sink)
        self.run_ok(binary, "flush")
        self.delivered = {m["message_id"] for m in sink.take()
                          if m["outcome"] == "accepted"}
        self.add_reports(root, [dict(BASE[1], id=8, title="Nouveau",
                                     scheduled_at="2026-11-23 07:30:00")])
        self.expect_msgs[msgid(8, "20261123T073000Z")] = "deliver"
        self.reports[8] = ("sent", None)


class FirstSendScenario(Scenario):
    """The first send on a box whose reports database is the sync job's
    Django file and whose spool does not exist yet: send makes it."""
    name = "first-send"
    django = True

    def prepare(self, binary, root, sink):
        self.make_box(binary, root, spool=False)
        self.due([1, 2])


class DjangoFeedbackScenario(FeedbackScenario):
    """The write-back of refusals into the sync job's Django file."""
    name = "django-feedback"
    django = True


SCENARIOS = [SendScenario, FlushScenario, FeedbackScenario,
             FirstSendScenario, DjangoFeedbackScenario]


# ---------------------------------------------------------------------------
# Recording


def file_identity(path):
    """The identity src/fileid.c gives the file at path: "dev:ino" and,
    where the kernel knows it, ":birth.nanoseconds" (statx, by its
    syscall number: the Python of this machine has no wrapper)."""
    st = os.stat(path)
    ident = "%d:%d" % (st.st_dev, st.st_ino)
    nr = {"x86_64": 332, "aarch64": 291}.get(os.uname().machine)
    if nr is None:
        return ident
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(256)
    if libc.syscall(nr, -100, os.fsencode(path), 0, 0x800, buf) != 0:
        return ident
    mask, = struct.unpack_from("I", buf, 0)
    if not mask & 0x800:
        return ident
    sec, nsec = struct.unpack_from("qI", buf, 80)
    return "%s:%d.%09d" % (ident, sec, nsec)


def carry_identity(scenario, root):
    """A power cut keeps every file the file it was; a crash state built
    here is made of new files.  So the identity of the reports file that
    the state database recorded (db_reports_begin, which tells a journal
    of this file from one of a file the sync job replaced) is carried over
    to the file that stands for it in the state."""
    old = getattr(scenario, "reports_ident", None)
    path = os.path.join(root, REPORTS_DB)
    state = os.path.join(root, "spool", "state.db")
    if old is None or not os.path.exists(path) or \
            not os.path.exists(state):
        return
    try:
        c = sqlite3.connect(state, timeout=10)
        try:
            with c:
                c.execute("UPDATE meta SET value = ? WHERE key = "
                          "'reports_ident' AND value = ?",
                          (file_identity(path), old))
        finally:
            c.close()
    except sqlite3.Error:
        pass        # a damaged state database is the state under test


def record(binary, scenario, workdir, strace="strace"):
    """Prepares the scenario's box, runs its command under strace, and
    returns the fsmodel.CrashSpace of that run."""
    root = os.path.realpath(os.path.join(workdir, scenario.name, "box"))
    os.makedirs(root)
    sink = Sink(refuse={REFUSE}, refuse_rcpt={PARTIAL})
    try:
        write_conf(root, sink.port, scenario.table)
        scenario.root = root
        scenario.prepare(binary, root, sink)
        sink.take()
        initial = fsmodel.Tree.from_dir(root)
        trace = os.path.join(workdir, scenario.name, "trace.txt")
        r = subprocess.run([strace] + fsmodel.STRACE_ARGS +
                           ["-o", trace, binary, "-c", CONF] +
                           list(scenario.command), cwd=root,
                           env=run_env(traced=True),
                           capture_output=True, text=True, timeout=300)
        if r.returncode not in scenario.record_rc:
            raise RuntimeError("%s: the recorded run exited %d: %s" % (
                scenario.name, r.returncode, r.stderr))
        scenario.recorded_messages = sink.take()
        if os.path.exists(os.path.join(root, REPORTS_DB)):
            scenario.reports_ident = file_identity(
                os.path.join(root, REPORTS_DB))
    finally:
        sink.stop()
    ops = fsmodel.parse_trace(trace, root, initial, root, ACCEPT_RE)
    with open(os.path.join(workdir, scenario.name, "ops.txt"), "w") as f:
        fsmodel.dump(initial, ops, f)
    space = fsmodel.CrashSpace(initial, ops, skip=lambda p: p == CONF or
                               p.endswith("-shm"))
    return space


# ---------------------------------------------------------------------------
# Checking one state


def queue_files(root, sub):
    d = os.path.join(root, "spool", sub)
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def whole_message(data):
    """None when the message is whole: its PDF (if any) decodes, begins
    with %PDF- and ends in %%EOF; else what is wrong."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    for part in msg.walk():
        if part.get_content_type() == "application/pdf":
            pdf = part.get_payload(decode=True) or b""
            if not pdf.startswith(b"%PDF-") or b"%%EOF" not in pdf[-64:]:
                return "its PDF attachment is damaged"
    if not data.rstrip().endswith(b"--"):
        if msg.is_multipart():
            return "its MIME structure is not closed"
    return None


# What runs after the power cut: the network-up hook's flush as the box
# boots, then two ticks of cron.
RERUN = (("flush", "--force"), ("send",), ("flush",), ("send",), ("flush",))


def check_state(binary, scenario, state, root, sink):
    """Runs the box in root (the state, materialized) as it runs after a
    power cut (RERUN) and returns the list of broken promises."""
    bad = []
    files = state.files
    in_queue = {n for n in files if n.startswith("spool/queue/")}
    in_failed = {n for n in files if n.startswith("spool/failed/")}

    def present(mid):
        n = spool_name(mid)
        return ("spool/queue/" + n in in_queue or
                "spool/failed/" + n in in_failed)

    pre = collections.Counter(state.accepted)
    for m in scenario.delivered:
        pre[m] += 1
    queued_again = collections.Counter()
    sink.take()
    for i, cmd in enumerate(RERUN):
        ok = (0, 65) if cmd[0] == "send" else (0,)
        r = run(binary, root, *cmd, "--now", NEXT, "--json")
        if r.returncode not in ok:
            bad.append("run %d (%s) exited %d: %s" % (
                i + 1, cmd[0], r.returncode, r.stderr.strip()[-300:]))
        if cmd[0] == "send" and r.stdout.strip():
            try:
                doc = json.loads(r.stdout)
            except ValueError:
                bad.append("send --json printed no JSON: %r" %
                           r.stdout[:200])
                continue
            for ev in doc.get("reports", []):
                if ev.get("outcome") == "queued" and ev.get("message_id"):
                    queued_again[ev["message_id"].strip("<>")] += 1
    got = sink.take()
    after = collections.Counter(m["message_id"] for m in got
                                if m["outcome"] == "accepted")

    # Exactly one message spooled per occurrence.
    for m in scenario.expect_msgs:
        before = (m in scenario.spooled or present(m) or pre[m] > 0)
        if queued_again[m] > (0 if before else 1):
            bad.append("%s spooled again by the next runs (it was %s)" % (
                m, "already spooled" if before else "spooled twice"))
        if not before and queued_again[m] == 0 and \
                scenario.expect_msgs[m] == "deliver" and after[m] == 0:
            bad.append("%s never spooled: the occurrence is lost" % m)

    # Delivered or kept; a repeat only where the contract allows it.
    for m, what in sorted(scenario.expect_msgs.items()):
        n = spool_name(m)
        if what == "deliver":
            if pre[m] + after[m] == 0:
                bad.append("%s never delivered (%s)" % (
                    m, "still queued" if n in queue_files(root, "queue")
                    else "lost"))
            if after[m] > 1:
                bad.append("%s delivered %d times by the next runs" %
                           (m, after[m]))
            if pre[m] and after[m] and "spool/queue/" + n not in in_queue:
                bad.append("%s delivered again although it had left "
                           "queue/ before the power cut" % m)
        else:
            if pre[m] + after[m]:
                bad.append("%s was refused, yet delivered" % m)
            failed = queue_files(root, "failed")
            if n not in failed or n + ".reason" not in failed:
                bad.append("%s refused, but not in failed/ with its reason "
                           "(failed/: %s; queue/: %s)" % (
                               m, failed, queue_files(root, "queue")))
    for m in scenario.notices:
        if pre[m] + after[m] == 0:
            bad.append("notice %s never delivered" % m)
        elif after[m] > 1 or (pre[m] and after[m] and
                              "spool/queue/" + spool_name(m) not in
                              in_queue):
            bad.append("notice %s delivered %d times" % (
                m, pre[m] + after[m]))
    known = set(scenario.expect_msgs) | scenario.notices
    for m in after:
        if m not in known:
            bad.append("unexpected message %s delivered" % m)
    for m in got:
        if m["outcome"] == "accepted":
            why = whole_message(m["data"])
            if why:
                bad.append("%s delivered, but %s" % (m["message_id"], why))

    left = queue_files(root, "queue")
    if left:
        bad.append("still queued after the next runs: %s" % left)

    # Temporary files.
    tmp = queue_files(root, "tmp")
    if tmp:
        bad.append("spool/tmp/ not empty after the next runs: %s" % tmp)
    for dirpath, _, names in os.walk(root):
        for name in names:
            p = os.path.relpath(os.path.join(dirpath, name), root)
            if p.endswith(".tmp") or ".tmp." in name or \
                    p.endswith("-journal"):
                bad.append("temporary file left: %s" % p)

    # The databases.
    for db in (REPORTS_DB, "spool/state.db"):
        path = os.path.join(root, db)
        if not os.path.exists(path):
            bad.append("%s missing after the next runs" % db)
            continue
        try:
            c = sqlite3.connect(path)
            res = c.execute("PRAGMA integrity_check").fetchall()
            c.close()
        except sqlite3.Error as e:
            res = [(str(e),)]
        if res != [("ok",)]:
            bad.append("%s: integrity_check: %s" % (db, res[:3]))

    # The reports.
    try:
        c = sqlite3.connect(os.path.join(root, REPORTS_DB))
        c.row_factory = sqlite3.Row
        rows = {r["id"]: dict(r) for r in c.execute(
            "SELECT * FROM %s" % (scenario.table or "scheduled_reports"))}
        c.close()
    except sqlite3.Error as e:
        bad.append("%s unreadable: %s" % (REPORTS_DB, e))
        rows = {}
    for rid, (kind, err) in scenario.reports.items():
        row = rows.get(rid)
        if row is None:
            bad.append("report %d missing" % rid)
            continue
        if kind == "sent" and row["sent"] != 1:
            bad.append("report %d: sent = %r after the next runs" %
                       (rid, row["sent"]))
        if kind == "recurring" and (row["sent"] != 0 or
                                    row["scheduled_at"] <= OCC):
            bad.append("report %d (recurring): sent = %r, scheduled_at = "
                       "%r" % (rid, row["sent"], row["scheduled_at"]))
        le = row.get("last_error") or None
        if err is None and le is not None:
            bad.append("report %d: last_error %r" % (rid, le))
        elif err is not None and (le is None or
                                  (err != "set" and err not in le)):
            bad.append("report %d: last_error is %r, not the %s" % (
                rid, le, "reason it was given up" if err == "set" else
                "server's refusal (%s)" % err))

    # The state database keeps every occurrence spooled, and the run log
    # every occurrence queued or given up (SPEC.md, "Time").
    try:
        c = sqlite3.connect(os.path.join(root, "spool", "state.db"))
        occ = {r[0] for r in c.execute(
            "SELECT message_id FROM occurrences")}
        log = {(r[0], r[1], r[2]) for r in c.execute(
            "SELECT report_id, scheduled_at, outcome FROM runlog")}
        c.close()
        for m in scenario.expect_msgs:
            if "<%s>" % m not in occ:
                bad.append("occurrence of %s not in state.db" % m)
            if (report_of(m), occurrence_of(m), "queued") not in log:
                bad.append("the run log has no 'queued' for %s" % m)
        for rid, occ in scenario.coalesced:
            if (rid, occ, "coalesced") not in log:
                bad.append("the run log has no 'coalesced' for report %d "
                           "at %s" % (rid, occ))
        for rid, (kind, err) in scenario.reports.items():
            if err == "set" and (rid, OCC, "given up") not in log:
                bad.append("the run log has no 'given up' for report %d" %
                           rid)
    except sqlite3.Error as e:
        bad.append("state.db unreadable: %s" % e)
    return bad


# ---------------------------------------------------------------------------
# The exploration


class Worker:
    def __init__(self, base, k):
        self.base = os.path.join(base, "w%d" % k)
        os.makedirs(self.base)
        self.sink = Sink(refuse={REFUSE}, refuse_rcpt={PARTIAL})
        self.n = 0


def explore(binary, scenario, space, opts, keepdir, log):
    states = list(space.states(seed=opts.seed, nrandom=opts.random))
    total = len(states)
    if opts.max_states and total > opts.max_states:
        # An even sample across the run, always with its first and last.
        step = total / opts.max_states
        states = [states[int(i * step)] for i in range(opts.max_states)]
    workers = [Worker(os.path.join(keepdir, scenario.name), k)
               for k in range(opts.jobs)]
    free = list(workers)
    violations = collections.OrderedDict()
    t0 = time.monotonic()

    def one(state):
        w = free.pop()
        try:
            w.n += 1
            root = os.path.join(w.base, "s%d" % w.n)
            fsmodel.materialize(state, root)
            carry_identity(scenario, root)
            write_conf(root, w.sink.port, scenario.table)
            bad = check_state(binary, scenario, state, root, w.sink)
            return state, root, bad
        finally:
            free.append(w)

    with concurrent.futures.ThreadPoolExecutor(opts.jobs) as ex:
        for state, root, bad in ex.map(one, states):
            for b in bad:
                key = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "T", b)
                if key not in violations:
                    kept = os.path.join(keepdir, "violations",
                                        "%s-%d" % (scenario.name,
                                                   len(violations) + 1))
                    # The state as the power cut left it, and the box
                    # after the runs that broke the promise.
                    fsmodel.materialize(state, os.path.join(kept, "state"))
                    write_conf(os.path.join(kept, "state"), 25,
                               scenario.table)
                    shutil.copytree(root, os.path.join(kept, "after"))
                    violations[key] = [b, state.describe(), kept, 0]
                violations[key][3] += 1
            if not bad or opts.verbose < 2:
                shutil.rmtree(root, ignore_errors=True)
            if opts.verbose:
                log("  %s: %s" % (state.describe(),
                                  "ok" if not bad else "; ".join(bad)))
    for w in workers:
        w.sink.stop()
    dt = time.monotonic() - t0
    return len(states), total, violations, dt


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--quick", action="store_true",
                    help="the bounded run of make check")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--random", type=int, default=None,
                    help="random variants per crash point")
    ap.add_argument("--max-states", type=int, default=None,
                    help="states checked per scenario, at most")
    ap.add_argument("--scenario", action="append")
    ap.add_argument("--keep", help="where to keep the work (and the "
                    "states that broke a promise)")
    ap.add_argument("-v", "--verbose", action="count", default=0)
    opts = ap.parse_args()
    # Quick: the systematic states of every crash point; else also
    # random ones.
    if opts.random is None:
        opts.random = 0 if opts.quick else 16
    if opts.max_states is None:
        opts.max_states = 0
    binary = os.path.abspath(opts.bin)
    if shutil.which("strace") is None:
        print("crashcheck: strace is missing (scripts/deps.sh)",
              file=sys.stderr)
        return 2
    workdir = opts.keep or tempfile.mkdtemp(prefix="crashcheck.")
    if opts.keep:
        if os.path.exists(workdir):
            shutil.rmtree(workdir)
        os.makedirs(workdir)

    def log(text):
        print(text, flush=True)

    names = opts.scenario or [s.name for s in SCENARIOS]
    broken = 0
    t_all = time.monotonic()
    for cls in SCENARIOS:
        if cls.name not in names:
            continue
        sc = cls()
        t0 = time.monotonic()
        try:
            space = record(binary, sc, workdir)
        except (fsmodel.TraceError, RuntimeError, OSError,
                subprocess.SubprocessError) as e:
            print("crashcheck: %s: cannot record the run: %s" %
                  (sc.name, e), file=sys.stderr)
            return 2
        n, total, violations, dt = explore(binary, sc, space, opts,
                                           workdir, log)
        log("%s: %d states (%s%d operations, %d crash points), %.1f s" % (
            sc.name, n, "sampled from %d, " % total if n < total else "",
            len(space.ops), len(space.points), time.monotonic() - t0))
        for text, where, kept, count in violations.values():
            broken += 1
            log("  VIOLATION: %s\n    in %d state(s), first: %s\n"
                "    kept in %s" % (text, count, where, kept))
    log("crashcheck: %s, %.0f s" % (
        "%d violation(s)" % broken if broken else "every promise kept",
        time.monotonic() - t_all))
    if not opts.keep and not broken:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
