"""Recurring reports: one message per occurrence through the DST days,
missed occurrences coalesced, on a box with no TZ and no zoneinfo."""
import os
import sqlite3
import time

import pytest

from conftest import NOW_ARG
from smtpfixture import smtp_server  # noqa: F401


@pytest.fixture
def bare(ready, tmp_path):
    """The box's environment: TZ unset, an empty zoneinfo directory."""
    empty = tmp_path / "zoneinfo"
    empty.mkdir()
    env = {"TZ": None, "TZDIR": str(empty)}

    def run(*args):
        return ready.run(*args, env=env)
    ready.bare = run
    return ready


def schedule(box, every, at, tz):
    box.add_pdf("a.pdf")
    r = box.bare("schedule", "--to", "a@example.com", "--title", "Daily",
                 "--pdf", os.path.join(box.pdf_dir, "a.pdf"), "--every",
                 every, "--at", at, "--tz", tz)
    assert r.returncode == 0, r.stderr
    return int(r.stdout)


def tick_every_15_minutes(box, start, hours, cmd="send"):
    t0 = time.mktime(time.strptime(start, "%Y-%m-%dT%H:%M:%SZ")) - \
        time.timezone
    for i in range(hours * 4):
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                            time.gmtime(t0 + i * 900))
        r = box.bare(cmd, "--now", now)
        assert r.returncode == 0, (now, r.stderr)


# Each case ticks every 15 minutes through the DST day, from local
# midnight to the next (23 or 25 hours in UTC): exactly one message.
@pytest.mark.parametrize("tz,expr,at,start,expected", [
    # Spring forward: 02:30 does not exist, runs at the jump (01:00 UTC).
    ("Europe/Paris", "30 2 * * *", "2027-03-28 02:30", "2027-03-27T23:00:00Z",
     "r1.20270328T010000Z"),
    # Fall back: 02:30 happens twice, runs once (the first, 00:30 UTC).
    ("Europe/Paris", "30 2 * * *", "2027-10-31 02:30", "2027-10-30T22:00:00Z",
     "r1.20271031T003000Z"),
    ("America/New_York", "30 2 * * *", "2027-03-14 02:30",
     "2027-03-14T05:00:00Z",
     "r1.20270314T070000Z"),
    ("America/New_York", "30 1 * * *", "2027-11-07 01:30",
     "2027-11-07T04:00:00Z",
     "r1.20271107T053000Z"),
    # Southern hemisphere: forward on 2027-10-03 02:00 AEST.
    ("Australia/Sydney", "30 2 * * *", "2027-10-03 02:30",
     "2027-10-02T14:00:00Z",
     "r1.20271002T160000Z"),
])
def test_one_message_per_occurrence_through_dst_days(bare, smtp_server, tz,
                                                     expr, at, start,
                                                     expected):
    srv = smtp_server()
    bare.write_conf("[smtp]\nurl = %s\ntls = none\n" % srv.url)
    rid = schedule(bare, expr, at, tz)
    assert rid == 1
    tick_every_15_minutes(bare, start, 25, cmd="tick")
    [(_, _, raw)] = srv.messages()
    assert ("<%s.sendreports@example.com>" % expected).encode() in raw
    assert bare.queue() == []
    row = bare.rows()[rid]
    assert row["sent"] == 0 and row["last_error"] is None


def test_missed_days_are_coalesced_into_one_message(bare):
    rid = schedule(bare, "0 8 * * *", "2026-11-20 08:00", "Europe/Paris")
    r = bare.bare("send", "--now", NOW_ARG)     # 2026-11-23 09:00 Paris
    assert r.returncode == 0, r.stderr
    assert bare.queue() == ["r1.20261120T070000Z"]
    row = bare.rows()[rid]
    assert row["scheduled_at"] == "2026-11-24 07:00:00"
    assert row["sent"] == 0
    c = sqlite3.connect(os.path.join(bare.spool, "state.db"))
    log = c.execute("SELECT scheduled_at, outcome FROM runlog "
                    "ORDER BY id").fetchall()
    c.close()
    assert ("2026-11-20 07:00:00", "queued") in log
    assert [a for a, o in log if o == "coalesced"] == [
        "2026-11-21 07:00:00", "2026-11-22 07:00:00",
        "2026-11-23 07:00:00"]
    # Nothing more until the next occurrence.
    r = bare.bare("send", "--now", "2026-11-24T06:59:00Z")
    assert len(bare.queue()) == 1
    r = bare.bare("send", "--now", "2026-11-24T07:00:00Z")
    assert len(bare.queue()) == 2


def test_a_fresh_copy_of_the_database_does_not_resend(bare):
    rid = schedule(bare, "0 8 * * *", "2026-11-23 08:00", "Europe/Paris")
    c = sqlite3.connect(bare.db)
    old = c.execute("SELECT * FROM scheduled_reports").fetchall()
    c.close()
    assert bare.bare("send", "--now", NOW_ARG).returncode == 0
    assert len(bare.queue()) == 1
    # The sync job brings back the row as it was before the send.
    c = sqlite3.connect(bare.db)
    c.execute("DELETE FROM scheduled_reports")
    c.executemany("INSERT INTO scheduled_reports VALUES (%s)" %
                  ",".join("?" * len(old[0])), old)
    c.commit()
    c.close()
    assert bare.bare("send", "--now", NOW_ARG).returncode == 0
    assert len(bare.queue()) == 1
    assert bare.rows()[rid]["scheduled_at"] == "2026-11-24 07:00:00"


def test_bad_schedule_or_zone_is_given_up_naming_it(bare):
    bare.add_pdf("a.pdf")
    good = bare.add(pdf_path="a.pdf")
    bad = bare.add(pdf_path="a.pdf", schedule="61 * * * *")
    nozone = bare.add(pdf_path="a.pdf", schedule="@daily",
                      timezone="Mars/Olympus")
    r = bare.bare("send", "--now", NOW_ARG)
    assert r.returncode == 65
    rows = bare.rows()
    assert rows[good]["sent"] == 1 and rows[good]["last_error"] is None
    assert rows[bad]["sent"] == 1
    assert 'schedule: minute "61": out of range' in rows[bad]["last_error"]
    assert rows[nozone]["sent"] == 1
    assert "Mars/Olympus" in rows[nozone]["last_error"]


def test_schedule_every_shows_the_next_run_in_local_time(bare):
    bare.add_pdf("a.pdf")
    r = bare.bare("schedule", "--to", "a@example.com", "--every",
                  "0 8 * * mon", "--at", "2026-11-24 09:00", "--tz",
                  "Europe/Paris")
    assert r.returncode == 0, r.stderr
    assert "next run 2026-11-30 08:00 CET" in r.stderr
    rid = int(r.stdout)
    assert bare.rows()[rid]["scheduled_at"] == "2026-11-30 07:00:00"
    assert bare.rows()[rid]["schedule"] == "0 8 * * mon"
    r = bare.bare("list")
    assert "2026-11-30 08:00" in r.stdout
    r = bare.bare("schedule", "--to", "a@example.com", "--every", "0 25 * * *",
                  "--at", "2026-11-24 09:00")
    assert r.returncode == 64 and 'hour "25"' in r.stderr


def test_list_log_shows_the_run_log(bare):
    schedule(bare, "0 8 * * *", "2026-11-21 08:00", "Europe/Paris")
    bare.add(pdf_path=None)      # given up: no PDF, no data
    assert bare.bare("send", "--now", NOW_ARG).returncode == 65
    r = bare.bare("list", "--log")
    assert r.returncode == 0, r.stderr
    rows = [line.split("\t") for line in r.stdout.splitlines()]
    outcomes = [(int(f[1]), f[2], f[3]) for f in rows]
    assert (1, "2026-11-21 07:00:00", "queued") in outcomes
    assert (1, "2026-11-22 07:00:00", "coalesced") in outcomes
    assert (1, "2026-11-23 07:00:00", "coalesced") in outcomes
    assert any(o == "given up" and rid == 2 for rid, _, o in outcomes)
    # It survives the sync job replacing the reports database.
    os.unlink(bare.db)
    r = bare.bare("list", "--log", "--json")
    import json
    assert len(json.loads(r.stdout)) == len(rows)
