"""flush, tick, queue, status, check --smtp against a real SMTP server on
127.0.0.1 that each test switches between behaviours."""
import email
import email.policy
import json
import os
import random
import signal
import sqlite3
import subprocess
import time

import pytest

from conftest import NOW_ARG, run_env
from smtpfixture import smtp_pki, smtp_server, unused_port  # noqa: F401

LATER = "2026-11-23T08:02:00Z"          # past backoff_min (60 s)
MUCH_LATER = "2026-11-25T08:00:00Z"


def smtp_conf(box, url, tls="none", extra=""):
    if tls != "none":
        # By name, as relays mostly are (test_pin.py: by address).
        url = url.replace("127.0.0.1", "localhost")
    box.write_conf("[smtp]\nurl = %s\ntls = %s\ntimeout = 3\n%s"
                   % (url, tls, extra))


def queued_box(box, n=3, **cols):
    """n due reports with stored PDFs, spooled by send."""
    box.initdb()
    pdfs = {}
    for i in range(n):
        name = "r%d.pdf" % i
        path = box.add_pdf(name, size=2000 + i, text="Rapport %d" % i)
        rid = box.add(pdf_path=name, **cols)
        with open(path, "rb") as f:
            pdfs[rid] = f.read()
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert len(box.queue()) == n
    return pdfs


def attachment(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    for part in msg.iter_attachments():
        if part.get_content_type() == "application/pdf":
            return msg, part.get_content()
    raise AssertionError("no PDF attachment")


def runlog(box):
    c = sqlite3.connect(os.path.join(box.spool, "state.db"))
    try:
        return c.execute("SELECT report_id, outcome, message_id, error "
                         "FROM runlog ORDER BY id").fetchall()
    finally:
        c.close()


def queue_lines(box):
    r = box.run("queue")
    assert r.returncode == 0, r.stderr
    return [line.split("\t") for line in r.stdout.splitlines()]


@pytest.mark.valgrind
def test_flush_delivers_each_message_once_and_intact(box, smtp_server):
    srv = smtp_server()
    smtp_conf(box, srv.url)
    pdfs = queued_box(box, 3, bcc="hidden@example.com")
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    got = srv.messages()
    assert len(got) == 3
    seen = set()
    for mail_from, rcpts, raw in got:
        assert mail_from == "rapports@example.com"
        assert "hidden@example.com" in rcpts
        msg, pdf = attachment(raw)
        assert "Bcc" not in msg
        rid = int(msg["Message-ID"].split(".")[0].lstrip("<r"))
        assert pdf == pdfs[rid]
        seen.add(rid)
    assert seen == set(pdfs)
    assert box.queue() == []
    # One connection for the whole run.
    assert srv.connection_count() == 1
    log = runlog(box)
    assert sorted(rid for rid, o, _, _ in log if o == "delivered") == \
        sorted(pdfs)


def test_empty_queue_touches_no_network(box):
    smtp_conf(box, "smtp://127.0.0.1:%d" % unused_port())
    box.initdb()
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""


def test_4xx_defers_with_backoff_then_delivers(box, smtp_server):
    srv = smtp_server(rcpt_reply="451 4.3.0 try later")
    smtp_conf(box, srv.url)
    pdfs = queued_box(box, 1)
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 75
    assert "deferred" in r.stderr and "451" in r.stderr
    [line] = queue_lines(box)
    assert line[4] == "deferred" and line[5] == "1"
    assert "451" in line[7]
    # Within the backoff nothing is tried, and it costs no connection.
    srv.set_mode()
    before = srv.connection_count()
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert srv.connection_count() == before
    # After it, the message goes.
    r = box.run("flush", "--now", LATER)
    assert r.returncode == 0, r.stderr
    [(_, _, raw)] = srv.messages()
    assert attachment(raw)[1] == list(pdfs.values())[0]
    assert box.queue() == []


def test_4xx_on_data_defers(box, smtp_server):
    srv = smtp_server(data_reply="452 4.3.1 insufficient storage")
    smtp_conf(box, srv.url)
    queued_box(box, 2)
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 75
    assert [line[4] for line in queue_lines(box)] == ["deferred"] * 2
    assert srv.messages() == []


def test_5xx_moves_the_message_to_failed_with_its_reason(box, smtp_server):
    srv = smtp_server(rcpt_reply="550 5.1.1 no such user")
    smtp_conf(box, srv.url)
    queued_box(box, 1)
    [name] = box.queue()
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert box.queue() == []
    failed = sorted(os.listdir(os.path.join(box.spool, "failed")))
    assert failed == [name, name + ".reason"]
    with open(os.path.join(box.spool, "failed", name + ".reason")) as f:
        assert "550 5.1.1 no such user" in f.read()
    [line] = queue_lines(box)
    assert line[4] == "failed" and "550" in line[7]
    # Never retried, and status says it needs attention.
    srv.set_mode()
    r = box.run("flush", "--now", MUCH_LATER, "--force")
    assert r.returncode == 0
    assert srv.messages() == []
    r = box.run("status")
    assert r.returncode == 1
    assert "1 failed message" in r.stdout


def test_one_recipient_refused_the_others_get_it(box, smtp_server):
    srv = smtp_server(rcpt_reply="550 5.1.1 unknown",
                      rcpt_match=["gone@example.com"])
    smtp_conf(box, srv.url)
    queued_box(box, 1, recipients="a@example.com, gone@example.com")
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    [(_, rcpts, _)] = srv.messages()
    assert rcpts == ["a@example.com"]
    assert "gone@example.com" in r.stderr and "550" in r.stderr
    [(_, outcome, _, error)] = runlog(box)[-1:]
    assert outcome == "delivered" and "gone@example.com refused" in error


def test_no_network_stops_the_run_and_charges_nothing(box, smtp_server):
    smtp_conf(box, "smtp://127.0.0.1:%d" % unused_port())
    queued_box(box, 3)
    t0 = time.monotonic()
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 75
    assert "server unavailable" in r.stderr
    assert r.stderr.count("server unavailable") == 1   # stopped at once
    lines = queue_lines(box)
    assert [line[4] for line in lines] == ["queued"] * 3
    assert [line[5] for line in lines] == ["0"] * 3
    # The queue pauses: the next flush does not even try...
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0 and r.stderr == ""
    r = box.run("status")
    assert "paused_until: 2026-11-23 08:01:00" in r.stdout
    # ...unless forced (the network-up hook), here with a server at last.
    srv = smtp_server()
    smtp_conf(box, srv.url)
    r = box.run("flush", "--now", NOW_ARG, "--force")
    assert r.returncode == 0, r.stderr
    assert len(srv.messages()) == 3
    assert time.monotonic() - t0 < 60


def test_dropped_connection_after_data_defers_then_delivers(box,
                                                            smtp_server):
    srv = smtp_server(drop_after_data=True)
    smtp_conf(box, srv.url)
    queued_box(box, 1)
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 75
    assert "deferred" in r.stderr
    srv.set_mode()
    r = box.run("flush", "--now", LATER)
    assert r.returncode == 0, r.stderr
    assert len(srv.messages()) == 1


def test_slow_server_times_out_and_defers(box, smtp_server):
    srv = smtp_server(delay=5, delay_on=["DATA_END"])
    box.write_conf("[smtp]\nurl = %s\ntls = none\ntimeout = 1\n" % srv.url)
    queued_box(box, 1)
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 75
    [line] = queue_lines(box)
    assert line[4] == "deferred"


def test_expired_after_max_age_and_min_attempts(box, smtp_server):
    srv = smtp_server(rcpt_reply="451 4.7.1 greylisted")
    smtp_conf(box, srv.url, extra="[retry]\nmax_age = 1h\n"
              "min_attempts = 2\n")
    queued_box(box, 1)
    [name] = box.queue()
    # Old enough, but one attempt is not enough to give up.
    r = box.run("flush", "--now", "2026-11-23T10:00:00Z")
    assert r.returncode == 75
    assert box.queue() == [name]
    r = box.run("flush", "--now", "2026-11-23T11:00:00Z")
    assert r.returncode == 0, r.stderr
    assert box.queue() == []
    with open(os.path.join(box.spool, "failed", name + ".reason")) as f:
        assert "max_age" in f.read()


def test_starttls_verified_delivers(box, smtp_server, smtp_pki):
    srv = smtp_server(tls="starttls", pki=smtp_pki)
    smtp_conf(box, srv.url, tls="required",
              extra="ca_file = %s\n" % smtp_pki.ca)
    queued_box(box, 1)
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    [rec] = srv.records()
    assert rec["tls"] is True


def test_a_relay_that_demands_tls_1_3(box, smtp_server, smtp_pki):
    # The mbedTLS build is a TLS 1.2 client (TLS=openssl is for such a
    # relay): it stops the run, charges nothing, and says why.
    version = box.run("--version").stdout
    srv = smtp_server(tls="starttls", pki=smtp_pki, tls_min="1.3")
    smtp_conf(box, srv.url, tls="required",
              extra="ca_file = %s\n" % smtp_pki.ca)
    queued_box(box, 1)
    r = box.run("flush", "--now", NOW_ARG)
    if "(mbedTLS/" in version:
        assert r.returncode == 75, r.stderr
        assert "STARTTLS" in r.stderr or "SSL" in r.stderr, r.stderr
        assert srv.messages() == []
        [line] = queue_lines(box)
        assert line[4] == "queued" and line[5] == "0"
    else:
        assert r.returncode == 0, r.stderr
        [rec] = srv.records()
        assert rec["tls"] is True


def test_unknown_ca_is_refused_and_charges_nothing(box, smtp_server,
                                                   smtp_pki):
    srv = smtp_server(tls="starttls", pki=smtp_pki)
    smtp_conf(box, srv.url, tls="required",
              extra="ca_file = %s\n" % smtp_pki.other_ca)
    queued_box(box, 1)
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 78
    assert srv.messages() == []
    [line] = queue_lines(box)
    assert line[4] == "queued" and line[5] == "0"


def test_auth_over_tls_and_never_in_clear(box, smtp_server, smtp_pki):
    srv = smtp_server(tls="starttls", pki=smtp_pki, auth_user="rapports",
                      auth_password="s3cret", auth_required=True)
    pw = os.path.join(box.root, "smtp.secret")
    with open(pw, "w") as f:
        f.write("s3cret\n")
    os.chmod(pw, 0o600)
    smtp_conf(box, srv.url, tls="required",
              extra="ca_file = %s\nusername = rapports\n"
              "password_file = %s\n" % (smtp_pki.ca, pw))
    queued_box(box, 1)
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert srv.records()[0]["auth_user"] == "rapports"
    assert "s3cret" not in r.stderr
    # Opportunistic TLS could fall back to clear text: refused before any
    # connection is made.
    box.add_pdf("x.pdf")
    box.add(pdf_path="x.pdf", scheduled_at="2026-11-23 07:30:00")
    box.run("send", "--now", NOW_ARG)
    smtp_conf(box, srv.url, tls="opportunistic",
              extra="ca_file = %s\nusername = rapports\n"
              "password_file = %s\n" % (smtp_pki.ca, pw))
    before = srv.connection_count()
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 78
    assert srv.connection_count() == before


def test_two_flushes_at_once_deliver_each_message_once(box, smtp_server):
    srv = smtp_server(delay=0.02, delay_on=["DATA_END"])
    smtp_conf(box, srv.url)
    queued_box(box, 40)
    procs = [subprocess.Popen(box.cmd("flush", "--now", NOW_ARG),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=run_env(), cwd=box.root)
             for _ in range(2)]
    for p in procs:
        p.communicate(timeout=120)
        assert p.returncode == 0
    ids = [email.message_from_bytes(raw)["Message-ID"]
           for _, _, raw in srv.messages()]
    assert len(ids) == 40 and len(set(ids)) == 40
    assert box.queue() == []


def test_sigkill_during_flush_loses_nothing(box, smtp_server):
    srv = smtp_server(delay=0.01, delay_on=["DATA_END"])
    smtp_conf(box, srv.url)
    queued_box(box, 30)
    expected = {box.read_spool(n)[0]["Message-Id"] for n in box.queue()}
    rnd = random.Random(4)
    for _ in range(8):
        p = subprocess.Popen(box.cmd("flush", "--now", NOW_ARG,
                                     "--force"),
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=run_env(),
                             cwd=box.root)
        time.sleep(rnd.uniform(0.01, 0.2))
        p.send_signal(signal.SIGKILL)
        p.wait()
    r = box.run("flush", "--now", LATER, "--force")
    assert r.returncode == 0, r.stderr
    assert box.queue() == []
    got = [email.message_from_bytes(raw)["Message-ID"]
           for _, _, raw in srv.messages()]
    assert set(got) == expected
    # A repeat is possible only for a kill between the final reply and
    # the removal: at most one per kill, with the same Message-ID.
    assert len(got) - len(expected) <= 8


def test_tick_sends_then_flushes(box, smtp_server):
    srv = smtp_server()
    smtp_conf(box, srv.url)
    box.initdb()
    box.add_pdf("a.pdf")
    box.add(pdf_path="a.pdf")
    r = box.run("tick", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert len(srv.messages()) == 1
    assert box.queue() == []
    r = box.run("status", "--json")
    st = json.loads(r.stdout)
    assert r.returncode == 0, r.stdout
    assert st["queued"] == 0 and st["failed"] == 0 and st["healthy"]
    assert st["last_send"] and st["last_flush"]


def test_max_and_json(box, smtp_server):
    srv = smtp_server()
    smtp_conf(box, srv.url)
    queued_box(box, 3)
    r = box.run("flush", "--now", NOW_ARG, "--max", "2", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["delivered"] == 2 and doc["queued"] == 3
    assert [m["outcome"] for m in doc["messages"]] == ["delivered"] * 2
    assert doc["messages"][0]["reply"].startswith("250")
    r = box.run("queue", "--json")
    [entry] = json.loads(r.stdout)
    assert entry["state"] == "queued" and entry["attempts"] == 0
    r = box.run("flush", "--max", "0")
    assert r.returncode == 64


def test_check_smtp_says_what_the_server_offers(box, smtp_server, smtp_pki):
    srv = smtp_server(tls="starttls", pki=smtp_pki)
    smtp_conf(box, srv.url, tls="required",
              extra="ca_file = %s\n" % smtp_pki.ca)
    box.initdb()
    r = box.run("check", "--smtp")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "certificate verified" in r.stdout
    assert "STARTTLS" in r.stdout or "SIZE" in r.stdout
    smtp_conf(box, "smtp://127.0.0.1:%d" % unused_port())
    r = box.run("check", "--smtp")
    assert r.returncode == 75
    assert "FAIL  smtp" in r.stdout


def test_a_message_flushed_after_a_crash_before_its_record_is_not_resent(
        box, smtp_server):
    """send crashed between the spool commit and its record: the state
    database does not know the occurrence.  flush delivers and removes
    the file; the next send must not spool the occurrence again."""
    srv = smtp_server()
    smtp_conf(box, srv.url)
    queued_box(box, 1)
    c = sqlite3.connect(os.path.join(box.spool, "state.db"))
    c.execute("DELETE FROM occurrences")
    c.commit()
    c.close()
    c = sqlite3.connect(box.db)
    c.execute("UPDATE scheduled_reports SET sent = 0, sent_at = NULL")
    c.commit()
    c.close()
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert box.queue() == []
    assert len(srv.messages()) == 1


def test_progress_on_a_terminal_only(box, smtp_server):
    import pty
    srv = smtp_server()
    smtp_conf(box, srv.url)
    queued_box(box, 12)
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen(box.cmd("flush", "--now", NOW_ARG),
                             stdout=subprocess.PIPE, stderr=slave,
                             env=run_env(), cwd=box.root)
        p.wait(timeout=60)
        os.close(slave)
        slave = None
        out = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    assert p.returncode == 0
    assert b"flush: 12/12" in out
    assert len(srv.messages()) == 12
    # On a pipe (cron), nothing: test_empty... and the others check that
    # a successful flush writes nothing to stderr.
    box.add(pdf_path="r0.pdf", scheduled_at="2026-11-23 07:59:00")
    box.run("send", "--now", NOW_ARG)
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0 and r.stderr == ""
