"""Security (issue 13, item 6): the spool and the state database private
to the user the commands run as (0700, 0600), and refused otherwise with
the fix (exit 78); root becomes [run] user for good; no core dump, no
ptrace or /proc/PID/mem, environ by the user's other processes; the
password in no log line, no syslog message, no /proc/PID/cmdline.

The tests run as root, and as nobody in a directory nobody can enter
(pytest's own is root's alone)."""
import base64
import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import EMULATOR, NOW_ARG, Box, run_env, wait_for
from smtpfixture import smtp_pki, smtp_server  # noqa: F401

NOBODY = pwd.getpwnam("nobody")

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the owner and "
                                "run user cases are tested as root")


@pytest.fixture
def top():
    """A directory that nobody can enter; removed at teardown."""
    d = tempfile.mkdtemp(prefix="sendreports-security.")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def become_nobody():
    os.setgroups([])
    os.setgid(NOBODY.pw_gid)
    os.setuid(NOBODY.pw_uid)


def as_nobody(box, *args, **kw):
    return subprocess.run(box.cmd(*args), capture_output=True,
                          text=True, env=run_env(), cwd=box.root,
                          timeout=120, preexec_fn=become_nobody, **kw)


def nobody_box(top, extra="", conf_mode=0o644):
    """A ready box whose files are nobody's: initdb --owner nobody, the
    configuration readable by nobody (it holds no password)."""
    box = Box(os.path.join(top, "box"))
    os.chmod(box.root, 0o755)
    box.write_conf(extra, mode=conf_mode)
    r = box.run("initdb", "--owner", "nobody")
    assert r.returncode == 0, r.stderr
    os.chown(box.pdf_dir, NOBODY.pw_uid, NOBODY.pw_gid)
    os.chown(box.db, NOBODY.pw_uid, NOBODY.pw_gid)
    os.chown(box.root, NOBODY.pw_uid, NOBODY.pw_gid)
    return box


def due(box, n=1):
    for i in range(n):
        path = box.add_pdf("r%d.pdf" % i)
        os.chmod(path, 0o644)
        box.add(pdf_path="r%d.pdf" % i, title="R%d" % i)


def proc_status(pid):
    with open("/proc/%d/status" % pid) as f:
        return {k: v.split() for k, v in
                (line.split(":", 1) for line in f if ":" in line)}


# --- the spool's modes ------------------------------------------------------

def test_the_spool_and_the_state_database_are_made_private(box, smtp_server):
    """0700 directories, 0600 files: the spool files, send.lock, a
    failure's reason, the state database and the journal SQLite makes
    beside it (it takes the database's mode; looked at while flush holds
    the state database open)."""
    srv = smtp_server(rcpt_reply="550 5.1.1 no", rcpt_match=["x@example.com"])
    box.write_conf("[smtp]\nurl = %s\ntls = none\ntimeout = 3\n" % srv.url)
    box.initdb()
    box.add_pdf("a.pdf")
    box.add(pdf_path="a.pdf", recipients="x@example.com")
    assert box.run("tick", "--now", NOW_ARG).returncode == 0
    box.add(pdf_path="a.pdf", title="B")
    assert box.run("send", "--now", NOW_ARG).returncode == 0
    srv.set_mode(silent=True)
    p = subprocess.Popen(box.cmd("flush", "--now", NOW_ARG, "--force"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=run_env(), cwd=box.root)
    try:
        state = os.path.join(box.spool, "state.db")
        assert wait_for(lambda: "DATA" in srv.log_text() or
                        "MAIL" in srv.log_text())
        for suffix in ("", "-journal"):
            if os.path.exists(state + suffix):
                assert mode(state + suffix) == 0o600, suffix
        # A rollback journal: no -wal or -shm beside it.
        assert not os.path.exists(state + "-wal")
    finally:
        p.kill()
        p.wait()
    for d, dirs, files in os.walk(box.spool):
        assert mode(d) == 0o700, d
        for n in files:
            assert mode(os.path.join(d, n)) == 0o600, (d, n)
    assert len(os.listdir(os.path.join(box.spool, "failed"))) == 2


OPEN = [("", 0o755, "chmod 700 %(spool)s"),
        ("queue", 0o750, "chmod 700 %(spool)s/queue"),
        ("state.db", 0o644, "chmod 600 %(spool)s/state.db")]


@pytest.mark.parametrize("entry,bad,fix", OPEN,
                         ids=["spool", "queue", "state.db"])
def test_a_spool_open_to_others_is_refused_with_the_fix(ready, entry, bad,
                                                        fix):
    ready.add_pdf("a.pdf")
    rid = ready.add(pdf_path="a.pdf")
    path = os.path.join(ready.spool, entry) if entry else ready.spool
    os.chmod(path, bad)
    fix = fix % {"spool": ready.spool}
    for args in (["send", "--now", NOW_ARG], ["flush"], ["tick"],
                 ["queue"], ["list"], ["clock"],
                 ["schedule", "--to", "b@example.com", "--at", NOW_ARG]):
        r = ready.run(*args)
        assert r.returncode == 78, (args, r.stderr)
        [line] = r.stderr.splitlines()
        assert "open to other users" in line and path + " (mode %04o)" \
            % bad in line and fix in line, line
    # Nothing written.
    assert ready.queue() == [] and len(ready.rows()) == 1
    assert ready.rows()[rid]["sent"] == 0
    # check and status say it, with the fix.
    r = ready.run("check")
    assert r.returncode == 78
    assert [l for l in r.stdout.splitlines()
            if l.startswith("FAIL  spool ") and fix in l]
    r = ready.run("status")
    assert r.returncode == 1
    assert "problem: spool_unsafe: " in r.stdout and fix in r.stdout
    # initdb makes it private; then all is well.
    assert ready.run("initdb").returncode == 0
    assert mode(path) == (0o700 if os.path.isdir(path) else 0o600)
    assert ready.run("check").returncode == 0
    r = ready.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert ready.rows()[rid]["sent"] == 1


# --- the spool's owner ------------------------------------------------------

def test_root_refuses_the_run_users_spool_without_run_user(top):
    """The spool is nobody's and root runs send without [run] user: its
    files would be root's, which nobody's daemon could not read.
    Refused, saying to set [run] user; root may still look."""
    box = nobody_box(top)
    due(box)
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 78, r.stderr
    [line] = r.stderr.splitlines()
    assert "%s is owned by nobody (uid %d), not by root (uid 0)" % (
        box.spool, NOBODY.pw_uid) in line
    assert "set [run] user = nobody" in line
    assert box.queue() == []
    for args in (["flush"], ["tick"], ["schedule", "--to", "b@example.com",
                                       "--at", NOW_ARG]):
        assert box.run(*args).returncode == 78, args
    # Reading is no harm: queue, list, status, clock as root.
    for args in (["queue"], ["list"], ["status"], ["clock"]):
        r = box.run(*args)
        assert r.returncode == 0, (args, r.stdout + r.stderr)
    r = box.run("check")
    assert r.returncode == 78 and "set [run] user = nobody" in r.stdout
    # With [run] user, root becomes nobody first: all is nobody's.
    with open(box.conf, "a") as f:
        f.write("[run]\nuser = nobody\n")
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    for d, dirs, files in os.walk(box.spool):
        for n in [d] + [os.path.join(d, x) for x in files]:
            assert os.stat(n).st_uid == NOBODY.pw_uid, n
    assert box.run("check").returncode == 0


def test_a_file_of_another_user_in_the_spool_is_refused(top):
    """root once ran send in nobody's spool (before this check): its
    state.db is root's, and nobody, who could not write it, is told how
    to get it back."""
    box = nobody_box(top)
    state = os.path.join(box.spool, "state.db")
    os.chown(state, 0, 0)
    due(box)
    r = as_nobody(box, "send", "--now", NOW_ARG)
    assert r.returncode == 78, r.stderr
    [line] = r.stderr.splitlines()
    assert "%s is owned by root (uid 0), not by nobody" % state in line
    assert "sendreports initdb --owner nobody" in line
    assert box.run("initdb", "--owner", "nobody").returncode == 0
    r = as_nobody(box, "send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert len(box.queue()) == 1


def test_initdb_as_root_keeps_the_spool_of_its_user(top):
    """make install gave the spool to the service's user; `initdb` run as
    root then makes what the spool lacks as that user's."""
    box = Box(os.path.join(top, "box"))
    os.makedirs(box.spool)
    os.chown(box.spool, NOBODY.pw_uid, NOBODY.pw_gid)
    os.chmod(box.spool, 0o700)
    r = box.run("initdb")
    assert r.returncode == 0, r.stderr
    for d, dirs, files in os.walk(box.spool):
        for n in [d] + [os.path.join(d, x) for x in dirs + files]:
            assert os.stat(n).st_uid == NOBODY.pw_uid, n
    assert os.path.exists(os.path.join(box.spool, "state.db"))


# --- [run] user -------------------------------------------------------------

def test_the_run_user_cannot_become_root_again(top, smtp_server):
    """Started as root with [run] user = nobody: every id is nobody's,
    saved ones too, no capability is left, and the groups are nobody's,
    looked at while flush waits on a server that never answers."""
    srv = smtp_server(silent=True)
    box = nobody_box(top, "[run]\nuser = nobody\n[smtp]\nurl = %s\n"
                     "tls = none\ntimeout = 30\n" % srv.url)
    due(box)
    assert box.run("send", "--now", NOW_ARG).returncode == 0
    p = subprocess.Popen(box.cmd("flush", "--now", NOW_ARG),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=run_env(), cwd=box.root)
    try:
        assert wait_for(lambda: srv.connection_count() == 1)
        st = proc_status(p.pid)
        assert st["Uid"] == [str(NOBODY.pw_uid)] * 4
        assert st["Gid"] == [str(NOBODY.pw_gid)] * 4
        assert all(g != "0" for g in st.get("Groups", []))
        for cap in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
            assert int(st[cap][0], 16) == 0, cap
    finally:
        p.kill()
        p.wait()


# --- the password -----------------------------------------------------------

SECRET = "Wr0ng-s3cret-%d" % os.getpid()


def secret_forms(secret, user="rapports"):
    """The password as it could leak: itself, and AUTH PLAIN's and
    LOGIN's base64."""
    return [secret, base64.b64encode(secret.encode()).decode(),
            base64.b64encode(b"\0" + user.encode() + b"\0" +
                             secret.encode()).decode()]


def password_box(top, srv_url, pki, inline):
    box = Box(os.path.join(top, "box"))
    os.chmod(box.root, 0o755)
    url = srv_url.replace("127.0.0.1", "localhost")
    ca = os.path.join(box.root, "ca.pem")     # nobody may read this one
    shutil.copy(pki.ca, ca)
    os.chmod(ca, 0o644)
    smtp = ("[smtp]\nurl = %s\ntls = required\nca_file = %s\n"
            "username = rapports\ntimeout = 5\n" % (url, ca))
    if inline:
        smtp += "password = %s\n" % SECRET
    else:
        pw = os.path.join(box.root, "smtp.secret")
        with open(pw, "w") as f:
            f.write(SECRET + "\n")
        os.chmod(pw, 0o600)
        smtp += "password_file = %s\n" % pw
    box.write_conf(smtp)
    with open(box.conf) as f:
        text = f.read().replace("syslog = no", "syslog = yes\nlevel = debug")
    with open(box.conf, "w") as f:
        f.write(text)
    os.chmod(box.conf, 0o600)
    return box


SYSLOG_NS = r'''
set -e
mkdir -p "$D/olddev"
mount --bind /dev "$D/olddev"
mount -t tmpfs -o size=64k,mode=0755 tmpfs /dev
for n in null zero urandom random; do
    touch /dev/$n
    mount --bind "$D/olddev/$n" /dev/$n
done
umount -l "$D/olddev"
ln -s "$D/log" /dev/log
exec "$@"
'''


def run_with_syslog(box, args, tmp):
    """Runs the command where /dev/log is a socket of ours (a mount
    namespace of its own, with a /dev of its own); returns (the
    CompletedProcess, [the syslog messages])."""
    sock = os.path.join(tmp, "log")
    if os.path.exists(sock):
        os.unlink(sock)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(sock)
    s.settimeout(0.2)
    msgs, done = [], threading.Event()

    def drain():        # syslog() blocks when nobody reads
        while not done.is_set():
            try:
                msgs.append(s.recv(65536).decode(errors="replace"))
            except socket.timeout:
                pass

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        r = subprocess.run(["unshare", "--mount", "--propagation",
                            "private", "sh", "-c", SYSLOG_NS, "sh"] +
                           box.cmd(*args), capture_output=True,
                           text=True, timeout=120, cwd=box.root,
                           env=run_env({"D": tmp}))
        time.sleep(0.3)
    finally:
        done.set()
        reader.join()
        s.close()
    if r.returncode != 0 and "mount" in r.stderr and \
            "sendreports" not in r.stderr:
        pytest.skip("no mount namespace here: " + r.stderr.strip())
    return r, msgs


@pytest.mark.parametrize("inline", [False, True],
                         ids=["password_file", "password"])
def test_a_refused_password_is_in_no_output_and_no_syslog(
        top, smtp_server, smtp_pki, inline):
    srv = smtp_server(tls="starttls", pki=smtp_pki, auth_user="rapports",
                      auth_password="the-right-one", auth_required=True)
    box = password_box(top, srv.url, smtp_pki, inline)
    box.initdb()
    due(box)
    assert box.run("send", "--now", NOW_ARG).returncode == 0
    seen = []
    # (tick: a day later, past the pause the failure set.)
    for args in (["-v", "-v", "flush", "--now", NOW_ARG, "--force"],
                 ["-v", "-v", "tick", "--now", "2026-11-24T08:00:00Z"],
                 ["-v", "-v", "check", "--smtp"]):
        r, msgs = run_with_syslog(box, args, top)
        assert r.returncode == 78, (args, r.stdout + r.stderr)
        text = r.stdout + r.stderr + "\n".join(msgs)
        assert "auth" in text.lower(), text
        for form in secret_forms(SECRET):
            assert form not in text, (args, form)
        seen += msgs
    # syslog got the lines (the debug ones too), so it was looked at.
    assert any("smtp: > AUTH" in m for m in seen), seen[:5]
    # Nor did the server log it: only the mechanism.
    for form in secret_forms(SECRET):
        assert form not in srv.log_text()
    assert srv.messages() == [] and len(box.queue()) == 1


def test_no_dump_and_no_password_in_proc_while_it_is_held(top, smtp_server,
                                                          smtp_pki):
    """flush, run as nobody (as a daemon of that user would be, without
    a drop from root), holds the password while it waits on a server that
    never answers: it is not dumpable (its /proc files are root's, so
    nobody's other processes cannot read its memory or environment, and
    no core is written), and the password is in no argument."""
    srv = smtp_server(tls="implicit", pki=smtp_pki, silent=True)
    box = password_box(top, srv.url, smtp_pki, inline=False)
    with open(box.conf) as f:
        text = f.read().replace("timeout = 5", "timeout = 20")
    with open(box.conf, "w") as f:
        f.write(text)
    r = box.run("initdb", "--owner", "nobody")
    assert r.returncode == 0, r.stderr
    for path in (box.conf, os.path.join(box.root, "smtp.secret"),
                 box.db, box.pdf_dir, box.root):
        os.chown(path, NOBODY.pw_uid, NOBODY.pw_gid)
    due(box)
    assert as_nobody(box, "send", "--now", NOW_ARG).returncode == 0
    # What a process of nobody's looks like when it is dumpable.
    control = subprocess.Popen(["sleep", "30"], preexec_fn=become_nobody)
    p = subprocess.Popen(box.cmd("flush", "--now", NOW_ARG),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=run_env(), cwd=box.root,
                         preexec_fn=become_nobody)
    try:
        if not wait_for(lambda: srv.connection_count() == 1):
            p.kill()
            raise AssertionError(p.communicate())
        time.sleep(0.3)             # connected: the password was read
        assert proc_status(p.pid)["Uid"][0] == str(NOBODY.pw_uid)
        assert os.stat("/proc/%d/environ" % control.pid).st_uid == \
            NOBODY.pw_uid
        for name in ("environ", "mem", "status", "maps"):
            assert os.stat("/proc/%d/%s" % (p.pid, name)).st_uid == 0, name
        with open("/proc/%d/cmdline" % p.pid, "rb") as f:
            cmdline = f.read().decode(errors="replace")
        with open("/proc/%d/environ" % p.pid, "rb") as f:
            environ = f.read().decode(errors="replace")
        assert "flush" in cmdline
        for form in secret_forms(SECRET):
            assert form not in cmdline and form not in environ
        # nobody's other processes cannot read it.
        r = subprocess.run(["cat", "/proc/%d/environ" % p.pid],
                           capture_output=True, preexec_fn=become_nobody)
        assert r.returncode != 0 and b"Permission denied" in r.stderr
    finally:
        p.kill()
        p.wait()
        control.kill()
        control.wait()
