"""status: healthy only when it is, and otherwise one line per problem
saying what is wrong and what to do (exit 1), the same in --json."""
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import BIN, EMULATOR, NOW_ARG, Box, run_env
from smtpfixture import smtp_pki, smtp_server, unused_port  # noqa: F401

NOBODY = 65534


def status(box, prefix=None, env=None, as_nobody=False):
    """Runs status, then status --json, with the global options prefix
    (default: box's -c FILE); returns (rc, text, json document)."""
    out = []
    for extra in ([], ["--json"]):
        argv = (prefix or box.cmd()) + ["status"] + extra
        r = subprocess.run(argv, capture_output=True, text=True,
                           timeout=60, env=run_env(env), cwd=box.root,
                           preexec_fn=drop_to_nobody if as_nobody
                           else None)
        out.append(r)
    text, doc = out[0], json.loads(out[1].stdout)
    assert text.returncode == out[1].returncode, (text.stdout, out[1])
    assert doc["healthy"] == (text.returncode == 0)
    return text.returncode, text.stdout, doc


def drop_to_nobody():
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


def problem(text, code):
    """The problem line of `code` in status's text output, or None."""
    for line in text.splitlines():
        if line.startswith("problem: %s: " % code):
            return line
    return None


def codes(doc):
    return [p["code"] for p in doc["reasons"]]


def queued_box(box, n=1):
    box.initdb()
    for i in range(n):
        box.add_pdf("r%d.pdf" % i)
        box.add(pdf_path="r%d.pdf" % i)
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert len(box.queue()) == n


def smtp_conf(box, url, tls="none", extra=""):
    if tls != "none":
        url = url.replace("127.0.0.1", "localhost")
    box.write_conf("[smtp]\nurl = %s\ntls = %s\ntimeout = 3\n%s"
                   % (url, tls, extra))


def test_healthy_box_keeps_the_fields_of_earlier_versions(ready):
    rc, text, doc = status(ready)
    assert rc == 0, text
    assert "health: ok" in text and "problem:" not in text
    for key in ("queued", "oldest", "failed", "paused_until", "last_send",
                "last_flush", "clock", "health"):
        assert ("\n%s: " % key) in "\n" + text, key
    for key in ("queued", "oldest", "failed", "paused_until", "last_send",
                "last_flush", "clock", "healthy", "problems"):
        assert key in doc, key
    assert doc["problems"] == "" and doc["reasons"] == []
    assert doc["clock"] == "ok" and doc["clock_guard"]["held"] is False
    assert doc["config"] == ready.conf


@pytest.mark.parametrize("how", ["-c", "SENDREPORTS_CONFIG"])
def test_a_configuration_file_that_does_not_exist(box, how):
    missing = os.path.join(box.root, "nope.ini")
    if how == "-c":
        prefix, env = EMULATOR + [BIN, "-c", missing], None
    else:
        prefix, env = EMULATOR + [BIN], {"SENDREPORTS_CONFIG": missing}
    rc, text, doc = status(box, prefix, env=env)
    assert rc == 1, text
    line = problem(text, "no_config")
    assert line and missing in line and "-c FILE" in line
    assert codes(doc) == ["no_config"]
    assert doc["reasons"][0]["fix"]
    assert doc["config"] is None
    # Every other command still refuses to run without it.
    r = subprocess.run(prefix + ["send"], capture_output=True, text=True,
                       env=run_env(env), cwd=box.root)
    assert r.returncode == 78


def test_a_configuration_that_does_not_load(box):
    box.write_conf("[smtp]\nurl = smtp://localhost\nbogus = 1\n")
    rc, text, doc = status(box)
    assert rc == 1
    line = problem(text, "config_error")
    assert line and "bogus" in line and "sendreports check" in line
    assert codes(doc) == ["config_error"]


def test_no_configuration_at_all_is_not_a_silent_default(box):
    if os.path.exists("/etc/sendreports.ini"):
        pytest.skip("this machine has /etc/sendreports.ini")
    rc, text, doc = status(box, EMULATOR + [BIN],
                           env={"SENDREPORTS_CONFIG": None})
    assert rc == 1
    line = problem(text, "no_config")
    assert line and "/etc/sendreports.ini" in line
    assert "built-in defaults" in line
    assert "config: none (built-in defaults)" in text


def test_no_reports_database(box):
    rc, text, doc = status(box)
    assert rc == 1
    line = problem(text, "no_database")
    assert line and box.db in line and "sendreports initdb" in line
    assert "no_database" in codes(doc)
    box.initdb()
    rc, text, doc = status(box)
    assert rc == 0, text


def test_a_spool_this_user_cannot_read(box):
    # The tests run as root: the check runs as nobody, in a directory
    # nobody can reach (pytest's own is private to root).
    root = tempfile.mkdtemp(prefix="sendreports-status-")
    try:
        os.chmod(root, 0o755)
        other = Box(os.path.join(root, "box"))
        os.chmod(other.root, 0o755)
        other.write_conf(mode=0o644)    # holds no secret
        queued_box(other)
        assert os.stat(other.spool).st_mode & 0o777 == 0o700
        rc, text, doc = status(other, as_nobody=True)
        assert rc == 1, text
        line = problem(text, "spool_unreadable")
        assert line and other.spool in line and "Permission denied" in line
        assert "spool_unreadable" in codes(doc)
        # As the spool's owner, all is well.
        rc, text, doc = status(other)
        assert rc == 0, text
        # A configuration private to root says so too.
        os.chmod(other.conf, 0o600)
        rc, text, doc = status(other, as_nobody=True)
        assert rc == 1, text
        line = problem(text, "config_error")
        assert line and "Permission denied" in line
        assert "run status as the user that runs sendreports" in line
    finally:
        shutil.rmtree(root)


@pytest.mark.valgrind
def test_a_damaged_state_database(ready):
    queued_box(ready)
    state = os.path.join(ready.spool, "state.db")
    with open(state, "r+b") as f:
        f.write(os.urandom(4096))
    for suffix in ("-wal", "-shm"):
        if os.path.exists(state + suffix):
            os.unlink(state + suffix)
    rc, text, doc = status(ready)
    assert rc == 1, text
    line = problem(text, "state_damaged")
    assert line and state in line and ".recover" in line
    assert "state_damaged" in codes(doc)
    # What it holds cannot be known: no clock judged without the mark.
    assert doc["clock_guard"] is None and doc["clock"] == "unknown"


def test_paused_by_a_tls_failure(box, smtp_server, smtp_pki):
    srv = smtp_server(tls="starttls", pki=smtp_pki)
    smtp_conf(box, srv.url, tls="required",
              extra="ca_file = %s\n" % smtp_pki.other_ca)
    queued_box(box)
    r = box.run("flush")
    assert r.returncode == 78, r.stderr
    rc, text, doc = status(box)
    assert rc == 1, text
    line = problem(text, "queue_paused")
    assert line and "tls failure" in line
    assert "check --smtp" in line and "flush --force" in line
    assert doc["paused_kind"] == "tls" and doc["paused_reason"]
    assert doc["paused_until"]
    assert "paused_reason: tls: " in text
    # Once the configuration is right, a forced flush ends it.
    smtp_conf(box, srv.url, tls="required",
              extra="ca_file = %s\n" % smtp_pki.ca)
    r = box.run("flush", "--force")
    assert r.returncode == 0, r.stderr
    rc, text, doc = status(box)
    assert rc == 0, text
    assert doc["paused_until"] is None and doc["paused_reason"] is None


def test_paused_by_an_authentication_failure(box, smtp_server, smtp_pki):
    srv = smtp_server(tls="starttls", pki=smtp_pki, auth_user="rapports",
                      auth_password="s3cret", auth_required=True)
    pw = os.path.join(box.root, "smtp.secret")
    with open(pw, "w") as f:
        f.write("Not-the-Pa55word\n")
    os.chmod(pw, 0o600)
    smtp_conf(box, srv.url, tls="required",
              extra="ca_file = %s\nusername = rapports\n"
              "password_file = %s\n" % (smtp_pki.ca, pw))
    queued_box(box)
    r = box.run("flush")
    assert r.returncode == 78, r.stderr
    rc, text, doc = status(box)
    assert rc == 1, text
    line = problem(text, "queue_paused")
    assert line and "authentication failure" in line
    assert "password_file" in line
    assert doc["paused_kind"] == "authentication"
    assert "Not-the-Pa55word" not in text


def test_paused_by_options_the_server_cannot_meet(box, smtp_server):
    # tls = required, and the server offers no STARTTLS: nothing is sent
    # in clear text, and the queue pauses as for any failure of the
    # configuration.
    srv = smtp_server()
    smtp_conf(box, srv.url, tls="required")
    queued_box(box)
    r = box.run("flush")
    assert r.returncode == 78, r.stderr
    assert srv.messages() == []
    rc, text, doc = status(box)
    assert rc == 1, text
    assert doc["paused_kind"] in ("tls", "configuration")
    assert problem(text, "queue_paused")


def test_a_network_pause_is_told_but_is_not_unhealthy(box):
    smtp_conf(box, "smtp://127.0.0.1:%d" % unused_port())
    queued_box(box)
    r = box.run("flush")
    assert r.returncode == 75, r.stderr
    rc, text, doc = status(box)
    assert rc == 0, text
    assert doc["paused_kind"] == "network" and doc["paused_until"]
    assert "paused_reason: network: " in text


def test_failed_messages_still_count(box, smtp_server):
    srv = smtp_server(rcpt_reply="550 5.1.1 no such user")
    smtp_conf(box, srv.url)
    queued_box(box)
    r = box.run("flush")
    assert r.returncode == 0, r.stderr
    rc, text, doc = status(box)
    assert rc == 1
    line = problem(text, "failed_messages")
    assert line and "1 failed message" in line and "sendreports queue" in line
    assert codes(doc) == ["failed_messages"]
