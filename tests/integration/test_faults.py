"""Faults at run time (issue 13, item 4).  Each fault gets a clear error
on one line, the exit code of the contract (75 temporary: a full disk, a
busy database, a server that does not answer; 74 I/O; 73 cannot create),
loses nothing (the report still unsent, or its message queued, the queue
files intact), and the next run, the fault gone, finishes the work: each
message delivered once, its report sent = 1.

Covered elsewhere, and not repeated here:
  - the reports database locked past busy_timeout_ms:
    test_send.py::test_send_busy_database_defers_with_75;
  - the connection dropped after the data, before the reply:
    test_flush.py::test_dropped_connection_after_data_defers_then_delivers;
  - a reply slower than [smtp] timeout:
    test_flush.py::test_slow_server_times_out_and_defers;
  - status on a damaged state database:
    test_status.py::test_a_damaged_state_database.

The full and read-only file systems are small tmpfs mounts (root only;
skipped, saying so, where mounting is not allowed), unmounted at teardown.
"""
import email
import email.policy
import os
import pwd
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time

import pytest

from conftest import EMULATOR, NOW_ARG, Box, run_env, wait_for
from smtpfixture import smtp_server, start_smtp_server  # noqa: F401

LATER = "2026-11-23T08:02:00Z"          # past backoff_min (60 s)
NOBODY = pwd.getpwnam("nobody")


# --- helpers ----------------------------------------------------------------

@pytest.fixture
def mounts():
    """mount(path, size): a tmpfs at path (made if missing), unmounted at
    teardown; ro(path, flag) remounts it read-only or read-write."""
    done = []

    def mount(path, size="1m"):
        if os.geteuid() != 0:
            pytest.skip("mounting a tmpfs needs root")
        os.makedirs(path, exist_ok=True)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o",
                            "size=%s,mode=0700" % size, "tmpfs", path],
                           capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip("cannot mount a tmpfs here: %s" % r.stderr.strip())
        done.append(path)
        return path

    def ro(path, flag=True):
        subprocess.run(["mount", "-o", "remount,%s" % ("ro" if flag else
                        "rw"), path], check=True)

    mount.ro = ro
    yield mount
    for path in reversed(done):
        if subprocess.run(["umount", path]).returncode != 0:
            subprocess.run(["umount", "-l", path])


def fill(directory, leave=0):
    """Fills the file system of directory until it is full, then frees
    `leave` bytes; returns the filler's path (unlink it to free all)."""
    path = os.path.join(directory, "filler")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError:
        pass
    try:
        while True:
            os.write(fd, b"\0" * 512)
    except OSError:
        pass
    os.close(fd)
    if leave:
        os.truncate(path, max(0, os.path.getsize(path) - leave))
    return path


def one_error(r, *words):
    """stderr (of a CompletedProcess, or a Popen's text) is one line
    naming the problem; returns it."""
    text = r if isinstance(r, str) else r.stderr
    lines = text.splitlines()
    assert len(lines) == 1, text
    assert lines[0].startswith("sendreports: "), text
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def smtp_conf(box, srv_url, timeout=3, extra=""):
    box.write_conf("[smtp]\nurl = %s\ntls = none\ntimeout = %d\n%s"
                   % (srv_url, timeout, extra))


def message_ids(srv):
    out = []
    for _, _, raw in srv.messages():
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        out.append(msg["Message-ID"])
    return out


def spooled_ids(box):
    return sorted(box.read_spool(n)[0]["Message-Id"] for n in box.queue())


def flush_all_once(box, srv, n, now=LATER):
    """The next run: every message delivered, each once, and every
    report sent = 1."""
    r = box.run("flush", "--now", now, "--force")
    assert r.returncode == 0, r.stderr
    ids = message_ids(srv)
    assert len(ids) == n and len(set(ids)) == n, ids
    assert box.queue() == []
    assert all(row["sent"] == 1 for row in box.rows().values())
    return ids


def due(box, n, first=0, **cols):
    """n due reports with stored PDFs; returns their ids."""
    ids = []
    for i in range(first, first + n):
        box.add_pdf("r%d.pdf" % i, size=1000, text="Rapport %d" % i)
        ids.append(box.add(pdf_path="r%d.pdf" % i, title="R%d" % i,
                           **cols))
    return ids


# --- a full file system -----------------------------------------------------

# Free bytes left on the spool's file system: with a 1 KB PDF, the run
# fails growing the state database's WAL index (the first ones), then
# writing the spool file, then committing the record after the message
# is queued, then not at all.  The windows move with SQLite's versions;
# the sweep covers them, and asserts both kinds were met.
LEAVE = [0, 8192, 16384, 24576, 32768, 36864, 40960, 45056, 49152, 57344,
         65536, 131072]


def test_a_full_spool_during_send_is_temporary_and_loses_nothing(
        tmp_path, mounts, smtp_server):
    srv = smtp_server()
    seen = set()
    for k, leave in enumerate(LEAVE):
        box = Box(tmp_path / ("b%d" % k))
        smtp_conf(box, srv.url)
        mounts(box.spool, "512k")
        box.initdb()
        due(box, 1)
        filler = fill(box.spool, leave)
        r = box.run("send", "--now", NOW_ARG)
        assert r.returncode in (0, 75), (leave, r.returncode, r.stderr)
        [row] = box.rows().values()
        assert box.tmp_files() == [], leave
        if r.returncode == 75:
            line = one_error(r)
            assert ("No space left on device" in line or
                    "database or disk is full" in line), line
            seen.add("state" if "database" in line else "spool")
            # Nothing lost: unsent, or queued and repaired next run.
            assert row["sent"] == 0 and len(box.queue()) <= 1
            os.unlink(filler)
            r = box.run("send", "--now", NOW_ARG)
            assert r.returncode == 0, r.stderr
        else:
            os.unlink(filler)
        assert len(box.queue()) == 1
        assert box.rows()[row["id"]]["sent"] == 1
        # Delivered, once.
        r = box.run("flush", "--now", NOW_ARG)
        assert r.returncode == 0, r.stderr
        assert box.queue() == [] and len(srv.messages()) == k + 1
    # Both ways of meeting the full disk happened in the sweep.
    assert seen == {"state", "spool"}, seen


def test_a_full_disk_under_the_state_database_is_75_not_74(tmp_path, mounts):
    """The issue's case: the state database (in the spool) cannot grow
    its WAL index.  SQLite calls that a disk I/O error; it is a full
    disk, temporary."""
    box = Box(tmp_path / "box")
    mounts(box.spool, "256k")
    box.initdb()
    due(box, 1)
    filler = fill(box.spool, 0)
    for args in (["send", "--now", NOW_ARG], ["schedule", "--to",
                 "b@example.com", "--at", NOW_ARG]):
        r = box.run(*args)
        assert r.returncode == 75, (args, r.stderr)
        # send meets the full disk in its spool file first, schedule in
        # the state database.
        line = one_error(r)
        assert "No space left on device" in line or \
            "database or disk is full" in line, line
        assert "state database" in line or "spool" in line, line
    assert box.queue() == [] and len(box.rows()) == 1
    os.unlink(filler)
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert len(box.queue()) == 1


def test_a_full_disk_under_the_reports_database(tmp_path, mounts,
                                                smtp_server):
    srv = smtp_server()
    box = Box(tmp_path / "box")
    data = mounts(os.path.join(box.root, "data"), "256k")
    smtp_conf(box, srv.url)
    with open(box.conf) as f:
        text = f.read().replace("path = reports.db", "path = data/reports.db")
    with open(box.conf, "w") as f:
        f.write(text)
    box.db = os.path.join(data, "reports.db")
    box.initdb()
    [rid] = due(box, 1)
    filler = fill(data, 0)
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 75, r.stderr
    one_error(r, "report %d" % rid, "database or disk is full")
    # Queued, not marked: the next run only marks it.
    assert box.rows()[rid]["sent"] == 0 and len(box.queue()) == 1
    os.unlink(filler)
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert len(box.queue()) == 1
    flush_all_once(box, srv, 1)


def test_flush_on_a_full_disk_keeps_what_it_cannot_move(tmp_path, mounts,
                                                        smtp_server):
    """A refused message must go to failed/ with its reason: on a full
    disk it stays queued (75), and the next run moves it."""
    srv = smtp_server(rcpt_reply="550 5.1.1 no such user")
    box = Box(tmp_path / "box")
    mounts(box.spool, "512k")
    smtp_conf(box, srv.url)
    box.initdb()
    due(box, 1)
    assert box.run("send", "--now", NOW_ARG).returncode == 0
    [name] = box.queue()
    filler = fill(box.spool, 0)
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 75, r.stderr
    assert "No space left on device" in r.stderr or \
        "database or disk is full" in r.stderr
    assert box.queue() == [name]
    assert os.listdir(os.path.join(box.spool, "failed")) == []
    os.unlink(filler)
    r = box.run("flush", "--now", LATER)
    assert r.returncode == 0, r.stderr
    assert box.queue() == []
    assert sorted(os.listdir(os.path.join(box.spool, "failed"))) == \
        [name, name + ".reason"]


# --- read-only file systems -------------------------------------------------

def test_a_read_only_spool(tmp_path, mounts, smtp_server):
    srv = smtp_server()
    box = Box(tmp_path / "box")
    mounts(box.spool)
    smtp_conf(box, srv.url)
    box.initdb()
    due(box, 1)
    assert box.run("send", "--now", NOW_ARG).returncode == 0
    [queued] = box.queue()
    due(box, 1, first=1)
    mounts.ro(box.spool)
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 73, r.stderr          # cannot create
    one_error(r, "Read-only file system")
    # flush could not remove what it delivers: it delivers nothing.
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 74, r.stderr
    one_error(r, "state database", "read-only file system")
    assert srv.messages() == [] and box.queue() == [queued]
    r = box.run("status")
    assert r.returncode == 1 and "read-only file system" in r.stdout
    mounts.ro(box.spool, False)
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    flush_all_once(box, srv, 2)


def test_a_read_only_reports_database(tmp_path, mounts, smtp_server):
    srv = smtp_server()
    box = Box(tmp_path / "box")
    data = mounts(os.path.join(box.root, "data"))
    smtp_conf(box, srv.url)
    with open(box.conf) as f:
        text = f.read().replace("path = reports.db", "path = data/reports.db")
    with open(box.conf, "w") as f:
        f.write(text)
    box.db = os.path.join(data, "reports.db")
    box.initdb()
    [rid] = due(box, 1)
    mounts.ro(data)
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 74, r.stderr
    one_error(r, "report %d" % rid, "readonly database")
    # The message is queued (step 2), the report cannot be marked: the
    # queue delivers it, and no run spools it again.
    assert len(box.queue()) == 1
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 74 and box.queue() == []
    mounts.ro(data, False)
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert box.queue() == [] and box.rows()[rid]["sent"] == 1
    assert len(srv.messages()) == 1


# --- a database locked longer than busy_timeout_ms --------------------------

def test_a_state_database_locked_longer_than_busy_timeout(box, smtp_server):
    srv = smtp_server()
    smtp_conf(box, srv.url, extra="[database]\nbusy_timeout_ms = 500\n")
    with open(box.conf) as f:       # one [database] section
        text = f.read().replace("busy_timeout_ms = 2000\n", "", 1)
    with open(box.conf, "w") as f:
        f.write(text)
    box.initdb()
    due(box, 1)
    assert box.run("send", "--now", NOW_ARG).returncode == 0
    due(box, 1, first=1)
    holder = sqlite3.connect(os.path.join(box.spool, "state.db"),
                             isolation_level=None, timeout=1)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        for args in (["send", "--now", NOW_ARG], ["flush", "--now",
                                                   NOW_ARG]):
            t = time.monotonic()
            r = box.run(*args)
            took = time.monotonic() - t
            assert r.returncode == 75, (args, r.stderr)
            one_error(r, "locked")
            # It waited busy_timeout_ms, and not much longer.
            assert 0.5 <= took < 20, (args, took)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert srv.messages() == []
    rows = box.rows()
    assert [rows[i]["sent"] for i in sorted(rows)] == [1, 0]
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    flush_all_once(box, srv, 2)


# --- corrupt database files -------------------------------------------------

@pytest.mark.parametrize("where", ["header", "pages"])
def test_a_corrupt_reports_database(ready, smtp_server, where):
    srv = smtp_server()
    smtp_conf(ready, srv.url)
    due(ready, 3)
    good = os.path.join(ready.root, "good.db")
    shutil.copy(ready.db, good)
    with open(ready.db, "r+b") as f:
        if where == "pages":
            f.seek(4096)     # the header stays: SQLite opens it
        f.write(os.urandom(8192 if where == "pages" else 4096))
    r = ready.run("send", "--now", NOW_ARG)
    assert r.returncode == 74, r.stderr
    one_error(r, "not a database" if where == "header" else "malformed")
    assert ready.queue() == []
    r = ready.run("status")
    assert r.returncode == 1 and "problem: database_error: " in r.stdout
    # The sync job's next copy: each report sent once.
    os.replace(good, ready.db)
    r = ready.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    flush_all_once(ready, srv, 3)


def test_a_corrupt_state_database(ready, smtp_server):
    srv = smtp_server()
    smtp_conf(ready, srv.url)
    due(ready, 1)
    assert ready.run("tick", "--now", NOW_ARG).returncode == 0
    assert len(srv.messages()) == 1
    due(ready, 1, first=1)
    assert ready.run("send", "--now", NOW_ARG).returncode == 0
    [waiting] = ready.queue()
    due(ready, 1, first=2)
    state = os.path.join(ready.spool, "state.db")
    with open(state, "r+b") as f:
        f.write(os.urandom(4096))
    r = ready.run("send", "--now", NOW_ARG)
    assert r.returncode == 74, r.stderr
    one_error(r, "state database", "not a database")
    r = ready.run("flush", "--now", NOW_ARG)
    assert r.returncode == 74, r.stderr
    one_error(r, "state database", "not a database")
    # Nothing spooled, nothing delivered while the state is unknown.
    assert ready.queue() == [waiting] and len(srv.messages()) == 1
    r = ready.run("status")
    assert r.returncode == 1 and "problem: state_damaged: " in r.stdout
    # status's fix: keep a copy, recover it or move it aside.
    os.rename(state, state + ".damaged")
    for suffix in ("-wal", "-shm"):
        if os.path.exists(state + suffix):
            os.unlink(state + suffix)
    r = ready.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    ids = flush_all_once(ready, srv, 3)
    assert len(set(ids)) == 3          # the first one not sent again


# --- a stored PDF that goes away, or changes, between listing and reading ---

def cut_while_read(box, size):
    """Runs send on a due report whose stored PDF of `size` bytes is cut
    to half once send has begun writing its message.  Returns the whole
    PDF, the spool file's size when it was cut (None: not cut), send's exit
    code and stderr."""
    box.write_conf("[pdf]\nmax_attachment_mb = 200\n")
    box.initdb()
    path = box.add_pdf("big.pdf", size=size)
    with open(path, "rb") as f:
        whole = f.read()
    box.add(pdf_path="big.pdf")
    tmp = os.path.join(box.spool, "tmp")
    p = subprocess.Popen(box.cmd("send", "--now", NOW_ARG),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=run_env(), cwd=box.root)
    cut_at = None
    while p.poll() is None and cut_at is None:
        for name in os.listdir(tmp):
            try:
                cut_at = os.path.getsize(os.path.join(tmp, name))
            except FileNotFoundError:
                continue
            os.truncate(path, len(whole) // 2)
            break
    _, err = p.communicate(timeout=300)
    return whole, cut_at, p.returncode, err


def test_a_stored_pdf_cut_while_it_is_read_is_never_half_sent(tmp_path):
    """The sync job rewrites a stored PDF in place while send streams it
    into the message: the spool file would hold a cut attachment that
    looks whole.  It is thrown away, the report left for the next run."""
    for mb in (20, 60, 150):
        box = Box(tmp_path / ("b%d" % mb))
        whole, cut_at, rc, err = cut_while_read(box, mb * 1000 * 1000)
        # Caught in the middle: the spool file had less than half of the
        # PDF (base64: 4/3 of what was read) when it was cut.
        if cut_at is not None and cut_at < len(whole) // 2:
            break
    else:
        pytest.skip("send read the whole PDF before it could be cut")
    assert rc == 75, err
    assert box.queue() == [] and box.tmp_files() == []
    [row] = box.rows().values()
    assert row["sent"] == 0
    one_error(err, "report %d" % row["id"], "changed while it was read")
    # Written whole again: the next run sends all of it.
    with open(os.path.join(box.pdf_dir, "big.pdf"), "wb") as f:
        f.write(whole)
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    [name] = box.queue()
    _, _, msg = box.read_spool(name)
    [att] = [a for a in msg.iter_attachments()]
    assert att.get_content() == whole


def test_a_stored_pdf_gone_before_it_is_read_falls_back(ready):
    """Listed with its stored PDF, which is gone when send reads it: the
    report's data makes the fallback PDF (no data: given up, as
    test_refusals.py checks)."""
    ready.add_pdf("a.pdf")
    rid = ready.add(pdf_path="a.pdf", report_data='{"title": "Ventes"}')
    r = ready.run("send", "--dry-run", "--now", NOW_ARG)
    assert r.returncode == 0 and r.stdout.rstrip().endswith("stored")
    os.unlink(os.path.join(ready.pdf_dir, "a.pdf"))
    r = ready.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    [name] = ready.queue()
    _, _, msg = ready.read_spool(name)
    [att] = [a for a in msg.iter_attachments()]
    assert att.get_content().startswith(b"%PDF-")
    assert ready.rows()[rid]["sent"] == 1


def test_a_stored_pdf_replaced_by_a_directory_is_given_up(ready):
    ready.add_pdf("a.pdf")
    ready.add_pdf("b.pdf")
    bad = ready.add(pdf_path="a.pdf")
    good = ready.add(pdf_path="b.pdf", title="B")
    os.unlink(os.path.join(ready.pdf_dir, "a.pdf"))
    os.mkdir(os.path.join(ready.pdf_dir, "a.pdf"))
    r = ready.run("send", "--now", NOW_ARG)
    assert r.returncode == 65, r.stderr
    one_error(r, "report %d" % bad, "not a regular file")
    rows = ready.rows()
    assert rows[bad]["sent"] == 1 and "not a regular file" in \
        rows[bad]["last_error"]
    assert rows[good]["sent"] == 1 and len(ready.queue()) == 1


@pytest.fixture
def nobody_box():
    """A box owned by nobody, in a directory nobody can reach."""
    top = tempfile.mkdtemp(prefix="sendreports-faults.")
    os.chmod(top, 0o755)
    box = Box(os.path.join(top, "box"))
    box.write_conf(mode=0o644)
    assert box.run("initdb", "--owner", "nobody").returncode == 0
    for d, dirs, files in os.walk(box.root):
        for n in [d] + [os.path.join(d, x) for x in dirs + files]:
            os.chown(n, NOBODY.pw_uid, NOBODY.pw_gid)
    yield box
    shutil.rmtree(top)


def as_nobody(box, *args):
    return subprocess.run(box.cmd(*args), capture_output=True,
                          text=True, env=run_env(), cwd=box.root,
                          timeout=120,
                          preexec_fn=lambda: (os.setgroups([]),
                                              os.setgid(NOBODY.pw_gid),
                                              os.setuid(NOBODY.pw_uid)))


@pytest.mark.skipif(os.geteuid() != 0, reason="runs send as nobody")
def test_a_stored_pdf_made_unreadable_is_left_for_the_next_run(nobody_box):
    box = nobody_box
    path = box.add_pdf("a.pdf")
    os.chown(path, NOBODY.pw_uid, NOBODY.pw_gid)
    rid = box.add(pdf_path="a.pdf")
    os.chmod(path, 0)
    r = as_nobody(box, "send", "--now", NOW_ARG)
    assert box.queue() == []
    assert box.rows()[rid]["sent"] == 0, r.stderr
    assert r.returncode == 75, r.stderr
    os.chmod(path, 0o600)
    r = as_nobody(box, "send", "--now", NOW_ARG)
    assert r.returncode == 0 and len(box.queue()) == 1


# --- the server -------------------------------------------------------------

def test_the_server_dying_mid_message(box, tmp_path, smtp_server):
    """The server process is killed while it takes the message in (the
    data sent, no reply yet): deferred at once, not after the timeout;
    the next run, to a server that is up again, delivers it once, with
    the same Message-ID."""
    dying = start_smtp_server(str(tmp_path / "dying"), delay=60,
                              delay_on=["DATA_END"])
    try:
        smtp_conf(box, dying.url, timeout=30)
        box.initdb()
        due(box, 1)
        assert box.run("send", "--now", NOW_ARG).returncode == 0
        spooled = spooled_ids(box)
        p = subprocess.Popen(box.cmd("flush", "--now", NOW_ARG),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=run_env(), cwd=box.root)
        assert wait_for(lambda: dying.commands("DATA"))
        time.sleep(0.5)                 # the body is in, the reply waits
        t = time.monotonic()
        os.kill(dying.proc.pid, signal.SIGKILL)
        out, err = p.communicate(timeout=60)
        assert time.monotonic() - t < 10
    finally:
        dying.stop()
    assert p.returncode == 75, err
    # (Without "the server may have it": smtp.c knows the body was all
    # sent only when libcurl asked past its end, which it does not when
    # given the size.)
    one_error(err, "deferred", "end of data")
    assert len(box.queue()) == 1
    srv = smtp_server()
    smtp_conf(box, srv.url)
    ids = flush_all_once(box, srv, 1)
    assert ids == spooled


def test_a_server_that_accepts_and_never_answers(box, smtp_server):
    """No greeting, ever: a network failure after [smtp] timeout (and the
    short probe of the other TLS mode), not a hang; no message charged;
    the queue pauses; forced, the next run delivers."""
    srv = smtp_server(silent=True)
    smtp_conf(box, srv.url, timeout=2)
    box.initdb()
    due(box, 2)
    assert box.run("send", "--now", NOW_ARG).returncode == 0
    t = time.monotonic()
    r = box.run("flush", "--now", NOW_ARG)
    took = time.monotonic() - t
    assert r.returncode == 75, r.stderr
    line = one_error(r, "server unavailable", "2 message(s) wait")
    assert "timeout" in line or "timed out" in line, line
    assert took < 2 * 2 + 5, took
    lines = [l.split("\t") for l in box.run("queue").stdout.splitlines()]
    assert [(l[4], l[5]) for l in lines] == [("queued", "0")] * 2
    srv.set_mode()
    flush_all_once(box, srv, 2, now=NOW_ARG)


def test_a_server_that_never_answers_the_message(box, smtp_server):
    """The final dot sent, no reply: deferred after [smtp] timeout (the
    server may have it), delivered by the next run with the same
    Message-ID, so a repeat is recognisable."""
    srv = smtp_server(delay=3600, delay_on=["DATA_END"])
    smtp_conf(box, srv.url, timeout=2)
    box.initdb()
    due(box, 1)
    assert box.run("send", "--now", NOW_ARG).returncode == 0
    spooled = spooled_ids(box)
    t = time.monotonic()
    r = box.run("flush", "--now", NOW_ARG)
    assert time.monotonic() - t < 2 + 5
    assert r.returncode == 75, r.stderr
    # (smtp.h promises "the server may have it" here: see the note in
    # test_the_server_dying_mid_message.)
    one_error(r, "deferred", "end of data", "timeout")
    srv.set_mode()
    assert flush_all_once(box, srv, 1) == spooled


def test_4xx_then_success_delivers_once_with_the_same_message_id(
        box, smtp_server):
    srv = smtp_server(rcpt_reply="451 4.3.0 try later")
    smtp_conf(box, srv.url)
    box.initdb()
    [rid] = due(box, 1)
    r = box.run("tick", "--now", NOW_ARG)
    assert r.returncode == 75, r.stderr
    one_error(r, "deferred", "451 4.3.0 try later")
    spooled = spooled_ids(box)
    assert box.rows()[rid]["sent"] == 1 and srv.messages() == []
    srv.set_mode()
    r = box.run("tick", "--now", LATER)
    assert r.returncode == 0, r.stderr
    assert message_ids(srv) == spooled and box.queue() == []
    assert box.rows()[rid]["last_error"] is None


def test_one_of_two_recipients_refused_reaches_the_reports_last_error(
        box, smtp_server):
    srv = smtp_server(rcpt_reply="550 5.1.1 unknown",
                      rcpt_match=["gone@example.com"])
    smtp_conf(box, srv.url)
    box.initdb()
    [rid] = due(box, 1, recipients="a@example.com, gone@example.com")
    assert box.run("send", "--now", NOW_ARG).returncode == 0
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    one_error(r, "to=<gone@example.com>", "status=failed (550 5.1.1 "
              "unknown)")
    [(_, rcpts, _)] = srv.messages()
    assert rcpts == ["a@example.com"] and box.queue() == []
    # flush keeps the refusal; the next send, which holds the reports
    # database, writes it to the report (sent stays 1).
    assert box.rows()[rid]["last_error"] is None
    r = box.run("send", "--now", LATER)
    assert r.returncode == 0, r.stderr
    row = box.rows()[rid]
    assert row["sent"] == 1
    assert "gone@example.com refused: 550 5.1.1 unknown" in row["last_error"]
    # Once: a further run writes nothing new and sends nothing.
    assert box.run("tick", "--now", LATER).returncode == 0
    assert len(srv.messages()) == 1
