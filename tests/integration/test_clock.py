"""Clock trust: nothing is sent by a clock that is certainly wrong."""
import ctypes
import ctypes.util

from conftest import NOW_ARG


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
    r = ready.run("send", "--now", "2026-11-23T09:00:00Z")
    assert r.returncode == 0, r.stderr
    rid = ready.add(pdf_path="a.pdf", scheduled_at="2026-11-23 07:00:00")
    # A box rebooted without a real-time clock, an hour in the past.
    r = ready.run("send", "--now", NOW_ARG)
    assert r.returncode == 75, r.stderr
    assert "behind 2026-11-23 09:00:00 UTC" in r.stderr
    assert ready.queue() == []
    # A small step back (NTP) is not a wrong clock.
    r = ready.run("send", "--now", "2026-11-23T08:59:00Z")
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
