"""initdb makes the box ready (directories with their parents, databases,
owners), and [run] user: the commands started as root run as that user.

The tests run as root.  Their boxes live in a directory every user may
enter (pytest's own is root's alone), so that `nobody` can reach them.
"""
import grp
import os
import pwd
import shutil
import signal
import sqlite3
import stat
import subprocess
import tempfile

import pytest

from conftest import BIN, EMULATOR, NOW_ARG, Box, run_env, wait_for
from smtpfixture import smtp_server  # noqa: F401

NOBODY = pwd.getpwnam("nobody")
SYNC_GROUP = "mail"                   # the sync job's group, for the tests

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="initdb --owner and [run] user "
                                "are tested as root")


@pytest.fixture
def root():
    """A directory that `nobody` can enter; removed at teardown."""
    d = tempfile.mkdtemp(prefix="sendreports-initdb.")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d)


class Layout(Box):
    """The default layout under root, none of its directories made:
    var/lib/sendreports/reports.db, var/lib/sendreports/pdf,
    var/spool/sendreports."""

    def __init__(self, root, extra=""):
        self.root = root
        self.conf = os.path.join(root, "sendreports.ini")
        self.lib = os.path.join(root, "var", "lib", "sendreports")
        self.db = os.path.join(self.lib, "reports.db")
        self.pdf_dir = os.path.join(self.lib, "pdf")
        self.spool = os.path.join(root, "var", "spool", "sendreports")
        self.write_conf(extra)

    def write_conf(self, extra="", mode=0o600, **sections):
        with open(self.conf, "w") as f:
            f.write("[database]\npath = %s\n[spool]\ndir = %s\n"
                    "[pdf]\ndir = %s\n[mail]\ntimezone = UTC\n"
                    "[log]\nsyslog = no\n%s"
                    % (self.db, self.spool, self.pdf_dir, extra))
        os.chmod(self.conf, mode)


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def owner(path):
    st = os.lstat(path)
    return st.st_uid, st.st_gid


def files_under(root):
    out = []
    for d, dirs, files in os.walk(root):
        out += [os.path.relpath(os.path.join(d, n), root)
                for n in dirs + files]
    return sorted(out)


# --- directories ------------------------------------------------------------

def test_initdb_makes_every_directory_with_its_parents_then_check_passes(
        root):
    """The Raspberry Pi recipe: today initdb exits 73 when /var/lib/
    sendreports or /var/spool/sendreports does not exist."""
    box = Layout(root)
    r = box.run("initdb")
    assert r.returncode == 0, r.stderr
    for parent in ("var", "var/lib", "var/spool"):
        assert mode(os.path.join(root, parent)) == 0o755, parent
    assert mode(box.lib) == 0o755
    assert mode(box.pdf_dir) == 0o755
    assert mode(box.spool) == 0o700
    for sub in ("tmp", "queue", "failed"):
        assert mode(os.path.join(box.spool, sub)) == 0o700
    assert os.path.isfile(box.db)
    assert os.path.isfile(os.path.join(box.spool, "state.db"))
    r = box.run("check")
    assert r.returncode == 0, r.stdout + r.stderr
    # Again: nothing to do, nothing broken.
    assert box.run("initdb").returncode == 0
    assert box.run("check").returncode == 0


def test_initdb_makes_an_existing_spool_private(root):
    box = Layout(root)
    os.makedirs(box.spool, mode=0o755)
    os.chmod(box.spool, 0o755)
    assert box.run("initdb").returncode == 0
    assert mode(box.spool) == 0o700
    assert box.run("check").returncode == 0


def test_a_file_in_the_way_is_refused(root):
    box = Layout(root)
    os.makedirs(os.path.join(root, "var"))
    with open(os.path.join(root, "var", "spool"), "w") as f:
        f.write("not a directory\n")
    r = box.run("initdb")
    assert r.returncode == 73
    assert "var/spool': it exists and is not a directory" in r.stderr


# --- owners -----------------------------------------------------------------

def test_initdb_owner_gives_the_box_to_the_user_and_the_sync_group(root):
    box = Layout(root)
    group = grp.getgrnam(SYNC_GROUP).gr_gid
    r = box.run("initdb", "--owner", "nobody:" + SYNC_GROUP)
    assert r.returncode == 0, r.stderr
    assert "owner nobody:%s" % SYNC_GROUP in r.stdout
    uid, own_gid = NOBODY.pw_uid, NOBODY.pw_gid
    # The spool and all in it: the user's alone, 0700.
    assert owner(box.spool) == (uid, own_gid) and mode(box.spool) == 0o700
    for d, dirs, files in os.walk(box.spool):
        for n in dirs + files:
            assert owner(os.path.join(d, n)) == (uid, own_gid), n
    assert "state.db" in os.listdir(box.spool)
    # The database, its directory and the PDFs: the sync job's group too.
    assert owner(box.db) == (uid, group) and mode(box.db) == 0o660
    assert owner(box.lib) == (uid, group) and mode(box.lib) == 0o775
    assert owner(box.pdf_dir) == (uid, group)
    assert mode(box.pdf_dir) == 0o775
    for suffix in ("-wal", "-shm"):
        if os.path.exists(box.db + suffix):
            assert owner(box.db + suffix) == (uid, group)
    # The parents stay root's.
    for parent in ("var", "var/lib", "var/spool"):
        assert owner(os.path.join(root, parent)) == (0, 0)
        assert mode(os.path.join(root, parent)) == 0o755
    box.write_conf("[run]\nuser = nobody\n")
    r = box.run("check")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ok    run user        nobody (uid %d" % uid in r.stdout


def test_initdb_owner_that_does_not_exist_creates_nothing(root):
    box = Layout(root)
    before = files_under(root)
    for arg in ("no-such-user-here", "nobody:no-such-group-here", ":mail",
                "nobody:"):
        r = box.run("initdb", "--owner", arg)
        assert r.returncode == 64, (arg, r.stderr)
        assert arg in r.stderr
    assert files_under(root) == before


def test_initdb_leaves_an_existing_database_and_its_directory_alone(root):
    """The sync job's files keep their owner; check says what is wrong."""
    box = Layout(root, "[run]\nuser = nobody\n")
    os.makedirs(box.lib)
    os.chmod(os.path.join(root, "var"), 0o755)
    os.chmod(os.path.join(root, "var", "lib"), 0o755)
    os.chmod(box.lib, 0o755)
    sqlite3.connect(box.db).close()
    r = box.run("initdb")                # [run] user: the default owner
    assert r.returncode == 0, r.stderr
    assert owner(box.lib) == (0, 0) and owner(box.db) == (0, 0)
    assert owner(box.spool)[0] == NOBODY.pw_uid
    assert owner(box.pdf_dir)[0] == NOBODY.pw_uid
    r = box.run("check")
    assert r.returncode == 78
    assert "FAIL  run user        nobody cannot write the database %s" \
        % box.db in r.stdout
    assert "nobody cannot write the database directory %s" % box.lib \
        in r.stdout
    os.chown(box.lib, NOBODY.pw_uid, 0)
    os.chown(box.db, NOBODY.pw_uid, 0)
    assert box.run("check").returncode == 0


# --- [run] user -------------------------------------------------------------

def ready_as_nobody(root, extra=""):
    box = Layout(root, "[run]\nuser = nobody\n" + extra)
    r = box.run("initdb")
    assert r.returncode == 0, r.stderr
    assert "owner nobody:" in r.stdout
    return box


def test_commands_started_as_root_run_as_the_run_user(root, smtp_server):
    srv = smtp_server()
    box = ready_as_nobody(root, "[smtp]\nurl = %s\ntls = none\ntimeout = 3\n"
                          % srv.url)
    box.add_pdf("a.pdf")
    os.chmod(os.path.join(box.pdf_dir, "a.pdf"), 0o644)
    rid = box.add(pdf_path="a.pdf", report_data='{"title": "Ventes"}')
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    [name] = box.queue()
    # Spooled by nobody, not by root.
    assert owner(os.path.join(box.spool, "queue", name))[0] == \
        NOBODY.pw_uid
    for d, dirs, files in os.walk(box.spool):
        for n in dirs + files:
            assert owner(os.path.join(d, n))[0] == NOBODY.pw_uid, n
    assert box.rows()[rid]["sent"] == 1
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert len(srv.messages()) == 1 and box.queue() == []
    # render writes its file as nobody too: a directory of root's is
    # closed to it.
    r = box.run("render", str(rid), "-o", os.path.join(root, "r.pdf"))
    assert r.returncode == 73, r.stderr
    os.makedirs(os.path.join(root, "out"))
    os.chown(os.path.join(root, "out"), NOBODY.pw_uid, NOBODY.pw_gid)
    out = os.path.join(root, "out", "r.pdf")
    assert box.run("render", str(rid), "-o", out).returncode == 0
    assert owner(out)[0] == NOBODY.pw_uid


def test_without_run_user_root_stays_root(root):
    box = Layout(root)
    assert box.run("initdb").returncode == 0
    box.add_pdf("a.pdf")
    box.add(pdf_path="a.pdf")
    assert box.run("send", "--now", NOW_ARG).returncode == 0
    [name] = box.queue()
    assert owner(os.path.join(box.spool, "queue", name))[0] == 0


def test_not_root_nothing_is_dropped(root):
    box = ready_as_nobody(root)
    box.write_conf("[run]\nuser = daemon\n")
    os.chmod(box.conf, 0o644)            # readable by nobody: no secret
    r = subprocess.run(EMULATOR + [BIN, "-c", box.conf, "status"],
                       capture_output=True, text=True, env=run_env(),
                       cwd=root, timeout=60,
                       preexec_fn=lambda: (os.setgid(NOBODY.pw_gid),
                                           os.setuid(NOBODY.pw_uid)))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "[run] user" not in r.stderr


def test_check_says_whether_the_run_user_owns_the_spool(root):
    box = ready_as_nobody(root)
    r = box.run("check")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ok    run user        nobody" in r.stdout
    os.chown(box.spool, 0, 0)
    r = box.run("check")
    assert r.returncode == 78
    # The spool's line says it (test_security.py: every entry of it).
    assert ("FAIL  spool           %s is owned by root (uid 0), not by "
            "nobody (uid 65534), the user the commands run as: run "
            "sendreports initdb --owner nobody" % box.spool) in r.stdout
    # initdb (as root, [run] user set) gives it back.
    assert box.run("initdb").returncode == 0
    assert box.run("check").returncode == 0


def test_the_daemon_runs_as_the_run_user(root):
    box = ready_as_nobody(root)
    run_dir = os.path.join(root, "run")
    os.makedirs(run_dir)
    pidfile = os.path.join(run_dir, "sendreports.pid")
    # Dropped before the pidfile: a directory of root's is refused...
    os.chmod(run_dir, 0o755)
    r = box.run("daemon", "--pidfile", pidfile, "--background")
    assert r.returncode == 73, r.stderr
    assert not os.path.exists(pidfile)
    # ...and one the run user may write is what it needs.
    os.chown(run_dir, NOBODY.pw_uid, NOBODY.pw_gid)
    r = box.run("daemon", "--interval", "3600", "--pidfile", pidfile,
                "--background")
    assert r.returncode == 0, r.stderr
    with open(pidfile) as f:
        pid = int(f.read())
    try:
        with open("/proc/%d/status" % pid) as f:
            ids = {k: v.split() for k, v in
                   (line.split(":", 1) for line in f if ":" in line)}
        assert ids["Uid"] == [str(NOBODY.pw_uid)] * 4
        assert ids["Gid"] == [str(NOBODY.pw_gid)] * 4
        assert owner(pidfile)[0] == NOBODY.pw_uid
        os.kill(pid, signal.SIGTERM)
        assert wait_for(lambda: not os.path.exists(pidfile))
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
