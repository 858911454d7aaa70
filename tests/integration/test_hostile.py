"""Failures found by attacking the program with its own input: each is a
report the sync job can write, and each must end in one message or one
clear reason in last_error, never a run that loops, defers forever or
says nothing."""
import os
import re

import pytest
import sqlite3

from conftest import NOW_ARG
from smtpfixture import smtp_server  # noqa: F401


def runlog(box, rid):
    c = sqlite3.connect(os.path.join(box.spool, "state.db"))
    try:
        return c.execute("SELECT scheduled_at, outcome, error FROM runlog "
                         "WHERE report_id = ? ORDER BY id", (rid,)).fetchall()
    finally:
        c.close()


@pytest.mark.valgrind
def test_minutely_report_missed_for_years_is_one_bounded_step(ready):
    """Coalescing walked every missed minute (a million for two years)
    inside one transaction: it lists a few and sums up the rest."""
    ready.add_pdf("a.pdf")
    rid = ready.add(pdf_path="a.pdf", schedule="* * * * *",
                    scheduled_at="2024-11-23 08:00:00")
    r = ready.run("send", "--now", NOW_ARG, timeout=60)
    assert r.returncode == 0, r.stderr
    assert len(ready.queue()) == 1
    log = runlog(ready, rid)
    coalesced = [e for e in log if e[1] == "coalesced"]
    assert 1 < len(coalesced) <= 25
    assert coalesced[-1][2].startswith("and over ")
    assert ready.rows()[rid]["scheduled_at"] == "2026-11-23 08:01:00"


def test_pdf_path_with_an_overlong_name_is_given_up(ready):
    """ENAMETOOLONG was an I/O error: deferred (74) every minute, forever."""
    rid = ready.add(pdf_path="x" * 300 + ".pdf")
    r = ready.run("send", "--now", NOW_ARG)
    assert r.returncode == 65, r.stderr
    row = ready.rows()[rid]
    assert row["sent"] == 1
    # glibc's words and musl's.
    assert re.search("File ?name too long", row["last_error"])
    r = ready.run("send", "--now", NOW_ARG)
    assert r.returncode == 0 and r.stderr == ""


@pytest.mark.valgrind
def test_an_overlong_time_zone_is_given_up_with_its_reason(ready):
    """A reason longer than its buffer was written as an empty last_error."""
    rid = ready.add(report_data="{}", schedule="0 8 * * *",
                    timezone="Z" * 5000)
    bad = ready.add(report_data="{}", scheduled_at="9" * 5000)
    r = ready.run("send", "--now", NOW_ARG)
    assert r.returncode == 65, r.stderr
    rows = ready.rows()
    assert rows[rid]["sent"] == 1
    assert rows[rid]["last_error"].startswith('timezone "ZZZ')
    assert rows[rid]["last_error"].endswith('..." is unknown')
    assert rows[bad]["sent"] == 1 and "is not a time" in rows[bad]["last_error"]
    assert all(len(r["last_error"]) < 400 for r in (rows[rid], rows[bad]))


def test_dry_run_gives_nothing_up_and_says_so(ready):
    rid = ready.add(report_data="{}", recipients="nobody")
    r = ready.run("send", "--dry-run", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert "would give up" in r.stdout
    assert "given up" not in r.stderr
    assert ready.rows()[rid]["sent"] == 0


def test_a_late_final_reply_is_never_taken_for_the_next_message(
        ready, smtp_server):
    """The server answers the first message's final "." after the
    timeout: that connection must not carry the next message, or the late
    reply is read as the next one's."""
    srv = smtp_server(delay=4, delay_first=1)
    ready.write_conf("[smtp]\nurl = %s\ntls = none\ntimeout = 2\n" % srv.url)
    ready.add_pdf("a.pdf")
    first = ready.add(pdf_path="a.pdf", scheduled_at="2026-11-23 06:00:00",
                      recipients="first@example.com")
    second = ready.add(pdf_path="a.pdf", scheduled_at="2026-11-23 07:00:00",
                       recipients="second@example.com")
    assert ready.run("send", "--now", NOW_ARG).returncode == 0
    r = ready.run("flush", "--now", NOW_ARG)
    assert r.returncode == 75, r.stderr         # the first one deferred
    c = sqlite3.connect(os.path.join(ready.spool, "state.db"))
    log = c.execute("SELECT report_id, outcome, error FROM runlog WHERE "
                    "outcome IN ('delivered', 'deferred') ORDER BY id"
                    ).fetchall()
    c.close()
    assert [(rid, o) for rid, o, _ in log] == [(first, "deferred"),
                                               (second, "delivered")]
    assert "may have it" in log[0][2]
    # The second message went over a connection of its own.
    assert srv.connection_count() >= 2
    # Its reply was its own: the server queued it as its second message.
    import time
    time.sleep(3)
    got = [m[1] for m in srv.messages()]
    assert ["second@example.com"] in got


def test_ten_thousand_recipients_are_delivered(ready, smtp_server):
    """The envelope of 10,000 recipients passed the reader's 256 KiB: the
    message went to failed/ and was never delivered."""
    srv = smtp_server()
    ready.write_conf("[smtp]\nurl = %s\ntls = none\n" % srv.url)
    many = ", ".join("user%05d@example.com" % i for i in range(10000))
    rid = ready.add(report_data="{}", recipients="a@example.com", bcc=many)
    assert ready.run("send", "--now", NOW_ARG).returncode == 0
    r = ready.run("flush", "--now", NOW_ARG, timeout=300)
    assert r.returncode == 0, r.stderr
    (sender, rcpts, raw), = srv.messages()
    assert len(rcpts) == 10001
    assert b"user00000@example.com" not in raw      # Bcc stays hidden
    assert ready.rows()[rid]["last_error"] is None


def test_more_recipients_than_a_message_can_carry_is_given_up(ready):
    many = ", ".join("u%06d@%s.example.com" % (i, ".".join(["d" * 60] * 3))
                     for i in range(20000))
    rid = ready.add(report_data="{}", recipients="a@example.com", bcc=many)
    r = ready.run("send", "--now", NOW_ARG)
    assert r.returncode == 65
    assert "20001 recipients" in ready.rows()[rid]["last_error"]
    assert ready.queue() == []
