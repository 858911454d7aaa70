"""Clock trust: nothing is sent by a clock that is certainly wrong; the
guard learns only from the real clock, and `clock` shows and resets it."""
import ctypes
import ctypes.util
import calendar
import json
import os
import sqlite3
import time

from conftest import NOW_ARG, now_utc


def near_now(db_time, slack=120):
    """Whether a database time (UTC) is the real clock, give or take."""
    t = calendar.timegm(time.strptime(db_time, "%Y-%m-%d %H:%M:%S"))
    return abs(t - time.time()) <= slack


def iso(db_time):
    """A database time (UTC) as a --now argument."""
    return db_time.replace(" ", "T") + "Z"


def clock(box, *args):
    r = box.run("clock", "--json", *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def plant_mark(box, value, by=None):
    """Writes the guard's mark as an earlier version did (by=None: with
    no author), e.g. from a replay in the future."""
    c = sqlite3.connect(os.path.join(box.spool, "state.db"))
    try:
        with c:
            c.execute("INSERT OR REPLACE INTO meta VALUES "
                      "('clock_high', ?)", (value,))
            c.execute("DELETE FROM meta WHERE key = 'clock_high_by'")
            if by:
                c.execute("INSERT INTO meta VALUES ('clock_high_by', ?)",
                          (by,))
    finally:
        c.close()


def test_clock_before_the_release_sends_nothing(ready):
    ready.add(pdf_path=None, report_data='{"title": "x"}',
              scheduled_at="1970-01-01 00:00:00")
    r = ready.run("send", "--now", "1970-01-01T00:10:00Z")
    assert r.returncode == 75, r.stderr
    assert "before this version was released" in r.stderr
    assert ready.queue() == []
    assert all(row["sent"] == 0 for row in ready.rows().values())
    # The same run with the right time goes through.
    ready.add_pdf("a.pdf")
    ready.add(pdf_path="a.pdf")
    r = ready.run("send", "--now", NOW_ARG)
    assert r.returncode in (0, 65), r.stderr
    assert len(ready.queue()) >= 1


def test_clock_behind_the_last_run_sends_nothing(ready):
    ready.add_pdf("a.pdf")
    # A run on the real clock records the time it saw.
    r = ready.run("send")
    assert r.returncode == 0, r.stderr
    mark = clock(ready)["mark"]
    assert mark and near_now(mark)
    rid = ready.add(pdf_path="a.pdf", scheduled_at=now_utc(-7200))
    # A box rebooted without a real-time clock, an hour in the past.
    r = ready.run("send", "--now", iso(now_utc(-3600)))
    assert r.returncode == 75, r.stderr
    assert "behind %s UTC" % mark in r.stderr
    assert "sendreports clock --reset" in r.stderr
    assert ready.queue() == []
    # A small step back (NTP) is not a wrong clock.
    r = ready.run("send", "--now", iso(now_utc(-60)))
    assert r.returncode == 0, r.stderr
    assert ready.rows()[rid]["sent"] == 1
    assert len(ready.queue()) == 1


def test_dry_run_says_why_and_records_nothing(ready):
    r = ready.run("send", "--dry-run", "--now", "1999-01-01T00:00:00Z")
    assert r.returncode == 75
    assert "before this version was released" in r.stderr
    # A dry run recorded nothing: an earlier real run is still fine.
    r = ready.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr


def kernel_synced():
    """What adjtimex(2) says, read the way the program reads it."""
    class Timex(ctypes.Structure):
        _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long),
                    ("freq", ctypes.c_long), ("maxerror", ctypes.c_long),
                    ("esterror", ctypes.c_long), ("status", ctypes.c_int),
                    ("rest", ctypes.c_byte * 256)]
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    tx = Timex()
    state = libc.adjtimex(ctypes.byref(tx))
    STA_UNSYNC, TIME_ERROR = 0x40, 5
    return state not in (-1, TIME_ERROR) and not tx.status & STA_UNSYNC


def test_require_sync_follows_the_kernel(box):
    box.write_conf("[clock]\nrequire_sync = yes\n")
    box.initdb()
    r = box.run("send", "--now", NOW_ARG)
    if kernel_synced():
        assert r.returncode == 0, r.stderr
    else:
        assert r.returncode == 75
        assert "synchronised" in r.stderr


def test_a_replay_in_the_future_never_holds_the_real_runs(ready):
    # The README's replay, then the next real run (issue 11).
    r = ready.run("send", "--now", "2031-01-01 00:00")
    assert r.returncode == 0, r.stderr
    r = ready.run("tick", "--now", "2031-01-01 00:01")
    assert r.returncode == 0, r.stderr
    r = ready.run("send")
    assert r.returncode == 0, r.stderr      # not 75 until 2031
    r = ready.run("tick")
    assert r.returncode == 0, r.stderr
    r = ready.run("send")
    assert r.returncode == 0, r.stderr
    doc = clock(ready)
    assert near_now(doc["mark"])
    assert doc["mark_by"] == "send" and doc["held"] is False
    # An idle run within the hour records nothing (no write at idle);
    # one that has work records the mark again.
    r = ready.run("tick")
    assert r.returncode == 0, r.stderr
    assert clock(ready)["mark_by"] == "send"
    ready.add(report_data="{}", scheduled_at=now_utc(-60))
    ready.run("tick")       # its flush finds no server: 75
    assert clock(ready)["mark_by"] == "tick"
    # --now is still the run's clock for the checks.
    r = ready.run("send", "--now", "2026-11-02 00:00")
    assert r.returncode == 75
    assert "behind" in r.stderr


def test_clock_shows_the_mark_and_reset_forgets_it(ready):
    r = ready.run("send")
    assert r.returncode == 0, r.stderr
    # A mark an earlier version took from a replay in 2031.
    plant_mark(ready, "2031-01-01 00:00:00")
    r = ready.run("send")
    assert r.returncode == 75
    assert "behind 2031-01-01 00:00:00 UTC" in r.stderr
    assert "sendreports clock --reset" in r.stderr

    r = ready.run("clock")
    assert r.returncode == 0, r.stderr
    assert "mark: 2031-01-01 00:00:00 UTC\n" in r.stdout
    assert "mark_by: unknown" in r.stdout
    assert "sends: held: " in r.stdout and "fix: " in r.stdout
    doc = clock(ready)
    assert doc["mark"] == "2031-01-01 00:00:00" and doc["mark_by"] is None
    assert doc["held"] is True and doc["hold"] == "mark"
    assert "clock --reset" in doc["fix"]

    # status says so, and names both commands.
    r = ready.run("status")
    assert r.returncode == 1
    line = [x for x in r.stdout.splitlines()
            if x.startswith("problem: clock_untrusted: ")]
    assert line and '"sendreports clock"' in line[0]
    assert '"sendreports clock --reset"' in line[0]
    doc = json.loads(ready.run("status", "--json").stdout)
    assert doc["clock_guard"]["hold"] == "mark"
    assert [p["code"] for p in doc["reasons"]] == ["clock_untrusted"]

    r = ready.run("-v", "clock", "--reset")
    assert r.returncode == 0, r.stderr
    assert "forgot: 2031-01-01 00:00:00 UTC" in r.stdout
    assert "mark: none" in r.stdout and "sends: allowed" in r.stdout
    assert "forgotten" in r.stderr        # logged
    r = ready.run("send")
    assert r.returncode == 0, r.stderr
    assert clock(ready)["mark_by"] == "send"
    assert ready.run("status").returncode == 0
    # Nothing to forget is no error.
    doc = clock(ready, "--reset")
    assert doc["forgot"] and doc["mark"] is None
    doc = clock(ready, "--reset")
    assert doc["forgot"] is None


def test_clock_on_a_box_that_never_ran(box):
    r = box.run("clock")
    assert r.returncode == 0, r.stderr
    assert "mark: none" in r.stdout
    r = box.run("clock", "--reset")
    assert r.returncode == 0, r.stderr
    assert "forgot: nothing" in r.stdout
    assert not os.path.exists(box.spool)    # looking made nothing
    assert box.run("clock", "--bogus").returncode == 64
