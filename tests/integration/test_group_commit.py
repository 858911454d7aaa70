"""Group commit: a burst of due reports is made durable and recorded in
batches (one fsync of queue/, one state transaction, one transaction on
the reports file per batch), not report by report.  Its crash states are
the crash explorer's (tests/crash); here, what a burst costs in syncs and
that every report of it ends queued exactly once."""
import os
import re
import shutil
import sqlite3
import subprocess

import pytest

from conftest import EMULATOR, NOW_ARG, run_env
from smtpfixture import smtp_server  # noqa: F401

N = 300          # more than one batch (SEND_BATCH_MAX is 256)
SYNCS = "fsync,fdatasync,sync_file_range,msync"


def burst(box, n):
    box.initdb()
    for i in range(1, n + 1):
        box.add_pdf("r%d.pdf" % i, size=50000)
        box.add(pdf_path="r%d.pdf" % i)


def traced_syncs(box, command):
    """Runs `command --now` under strace; the sync calls it made."""
    trace = os.path.join(box.root, "..", command + ".trace")
    # LeakSanitizer cannot run under ptrace: the leak check is the other
    # tests' job.
    env = run_env()
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    r = subprocess.run(["strace", "-f", "-qq", "-o", trace, "-e",
                        "trace=" + SYNCS] + box.cmd(command, "--now",
                                                    NOW_ARG),
                       capture_output=True, text=True, cwd=box.root,
                       env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    with open(trace) as f:
        return [line for line in f
                if re.search(r"\b(%s)\(" % SYNCS.replace(",", "|"), line)
                and waits(line)]


def waits(call):
    """Whether a sync call waits for the disk: sync_file_range with
    SYNC_FILE_RANGE_WRITE alone only starts the writing (the head start
    a sealed message gets before its fsync)."""
    return "sync_file_range(" not in call or "WAIT" in call


def queued_names(box):
    return sorted(box.queue())


@pytest.mark.skipif(shutil.which("strace") is None or EMULATOR,
                    reason="needs strace and a native binary")
def test_a_burst_costs_about_one_sync_per_report(box):
    burst(box, N)
    calls = traced_syncs(box, "send")
    # One fsync per message file; the directory, the state database and
    # the reports file once per batch, not once per report (that was 6).
    print("%d syncs for %d reports" % (len(calls), N))
    assert sum("fsync(" in c for c in calls) >= N     # each message file
    assert len(calls) <= 1.1 * N, "%d syncs for %d reports" % (len(calls),
                                                               N)
    assert len(queued_names(box)) == N
    rows = box.rows()
    assert all(row["sent"] == 1 for row in rows.values())
    with sqlite3.connect(os.path.join(box.spool, "state.db")) as c:
        recorded = c.execute("SELECT count(*) FROM occurrences").fetchone()
    assert recorded[0] == N


def test_a_batch_linked_but_not_recorded_is_recorded_once(box):
    """A power cut after a batch's messages were linked into queue/ and
    before its commit leaves them there with no record: the next run finds
    each name taken and records it, without a second message."""
    burst(box, 40)
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    names = queued_names(box)
    assert len(names) == 40
    # What that cut leaves: the files, none of the records.
    with sqlite3.connect(os.path.join(box.spool, "state.db")) as c:
        c.execute("DELETE FROM occurrences")
        c.execute("DELETE FROM runlog")
    with box.connect() as c:
        c.execute("UPDATE scheduled_reports SET sent = 0, sent_at = NULL")
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert queued_names(box) == names          # no second message
    assert all(row["sent"] == 1 for row in box.rows().values())
    with sqlite3.connect(os.path.join(box.spool, "state.db")) as c:
        recorded = c.execute("SELECT count(*) FROM occurrences").fetchone()
        logged = c.execute("SELECT count(*) FROM runlog").fetchone()
    assert recorded[0] == 40 and logged[0] >= 40


@pytest.mark.skipif(shutil.which("strace") is None or EMULATOR,
                    reason="needs strace and a native binary")
def test_a_flush_costs_far_less_than_a_sync_per_message(box, smtp_server):
    srv = smtp_server()
    box.write_conf("[smtp]\nurl = %s\ntls = none\n" % srv.url)
    burst(box, N)
    assert box.run("send", "--now", NOW_ARG).returncode == 0
    calls = traced_syncs(box, "flush")
    assert len(srv.messages()) == N and box.queue() == []
    # The delivered messages are recorded and removed by the batch: a few
    # syncs per 100 messages, or per second of them (a sanitized build
    # delivers ~25 a second here: 0.24 per message); it was 6 per message.
    print("%d syncs for %d messages" % (len(calls), N))
    assert len(calls) <= 0.5 * N, "%d syncs for %d messages" % (
        len(calls), N)


def runlog_delivered(box):
    with sqlite3.connect(os.path.join(box.spool, "state.db")) as c:
        return sorted(r[0] for r in c.execute(
            "SELECT message_id FROM runlog WHERE outcome = 'delivered'"))


def test_the_marks_of_a_crashed_flush_are_recorded_not_sent(box,
                                                          smtp_server):
    """A flush killed after the server took a message and its file was
    marked delivered, before the batch was recorded: the next flush
    records it (once, though the run log may have it already) and removes
    the mark; the message does not go out again."""
    srv = smtp_server()
    box.write_conf("[smtp]\nurl = %s\ntls = none\n" % srv.url)
    burst(box, 3)
    assert box.run("send", "--now", NOW_ARG).returncode == 0
    names = queued_names(box)
    q = os.path.join(box.spool, "queue")
    ids = {}
    for n in names[:2]:
        ids[n] = box.read_spool(n)[0]["Message-Id"]
        os.rename(os.path.join(q, n), os.path.join(q, ".%s.delivered" % n))
    # The second one's record was committed before the cut.
    with sqlite3.connect(os.path.join(box.spool, "state.db")) as c:
        c.execute("INSERT INTO runlog (report_id, scheduled_at, handled_at,"
                  " outcome, message_id) VALUES (?, '', '', 'delivered', ?)",
                  (int(re.match(r"r(\d+)\.", names[1]).group(1)),
                   ids[names[1]]))
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert box.queue() == []
    assert len(srv.messages()) == 1            # only the third went out
    got = runlog_delivered(box)
    assert got.count(ids[names[0]]) == 1 and got.count(ids[names[1]]) == 1
    assert len(got) == 3
