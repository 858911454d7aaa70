"""The administrator's queue commands, after Postfix's postsuper and
postqueue: queue show, hold, release, delete, requeue, and flush --id,
each against the real spool, a real SMTP server, and the run log."""
import fcntl
import os
import sqlite3

from conftest import NOW_ARG
from smtpfixture import smtp_server  # noqa: F401

LATER = "2026-11-23T09:00:00Z"


def spooled(box, srv, n=2, **cols):
    box.write_conf("[smtp]\nurl = %s\ntls = none\ntimeout = 3\n" % srv.url)
    box.spool_due(n, pdf_size=2000, **cols)
    return messages(box)


def messages(box):
    return [n for n in box.queue() if not n.startswith(".")]


def failed(box):
    d = os.path.join(box.spool, "failed")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def queue_lines(box):
    r = box.run("queue")
    assert r.returncode == 0, r.stderr
    return [line.split("\t") for line in r.stdout.splitlines()
            if "\t" in line]


def runlog(box, outcome):
    with sqlite3.connect(os.path.join(box.spool, "state.db")) as c:
        return [r[0] for r in c.execute(
            "SELECT message_id FROM runlog WHERE outcome = ? "
            "ORDER BY id", (outcome,))]


def delivered_ids(srv):
    import email
    return [email.message_from_bytes(raw)["Message-ID"]
            for _, _, raw in srv.messages()]


def test_a_held_message_waits_until_released(box, smtp_server):
    srv = smtp_server()
    held, other = spooled(box, srv)
    r = box.run("queue", "hold", held)
    assert r.returncode == 0, r.stderr
    [line] = [x for x in queue_lines(box) if x[0] == held]
    assert line[4] == "held" and line[6] == "-"
    r = box.run("flush", "--now", NOW_ARG, "--force")
    assert r.returncode == 0, r.stderr
    assert messages(box) == [held] and len(srv.messages()) == 1
    # Not even flush --id takes it while it is held.
    r = box.run("flush", "--now", NOW_ARG, "--id", held)
    assert r.returncode == 0 and "on hold" in r.stderr
    assert messages(box) == [held]
    r = box.run("queue", "release", held)
    assert r.returncode == 0, r.stderr
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert messages(box) == [] and len(srv.messages()) == 2
    assert len(runlog(box, "held")) == 1 and len(runlog(box, "released")) == 1


def test_a_deleted_message_is_never_sent_nor_spooled_again(box, smtp_server):
    srv = smtp_server()
    gone, kept = spooled(box, srv)
    mid = box.read_spool(gone)[0]["Message-Id"]
    r = box.run("queue", "delete", gone)
    assert r.returncode == 0, r.stderr
    assert messages(box) == [kept]
    # The report stays sent, its occurrence recorded: send leaves it.
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert messages(box) == [kept]
    assert box.run("flush", "--now", NOW_ARG).returncode == 0
    assert mid not in delivered_ids(srv) and len(srv.messages()) == 1
    assert runlog(box, "deleted") == [mid]


def test_a_failed_message_is_requeued_or_deleted(box, smtp_server):
    srv = smtp_server(rcpt_reply="550 5.1.1 no such user")
    a, b = spooled(box, srv)
    r = box.run("flush", "--now", NOW_ARG)
    assert messages(box) == [] and a in failed(box) and b in failed(box)
    srv.set_mode()      # the server accepts again
    r = box.run("queue", "requeue", a)
    assert r.returncode == 0, r.stderr
    assert messages(box) == [a]
    assert failed(box) == [b, b + ".reason"]
    [line] = [x for x in queue_lines(box) if x[0] == a]
    assert line[4] == "queued" and line[5] == "0"
    r = box.run("flush", "--now", LATER)
    assert r.returncode == 0, r.stderr
    assert messages(box) == [] and len(srv.messages()) == 1
    r = box.run("queue", "delete", b)
    assert r.returncode == 0, r.stderr
    assert failed(box) == []


def test_show_tells_everything_about_one_message(box, smtp_server):
    srv = smtp_server(rcpt_reply="451 4.3.0 try later")
    name, _ = spooled(box, srv, cc="chef@example.com")
    box.run("flush", "--now", NOW_ARG)
    r = box.run("queue", "show", name)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "name:        %s\n" % name in out
    assert "state:       deferred\n" in out
    assert "attempts:    1\n" in out
    assert "451 4.3.0 try later" in out
    assert "recipient:   <chef@example.com>" in out
    assert "\nSubject: " in out and "\nMessage-ID: <" in out
    assert "\r" not in out


def test_bad_names_and_wrong_places_are_refused(box, smtp_server):
    srv = smtp_server()
    name, _ = spooled(box, srv)
    for args, rc, words in [
            (("show", "r9.nope"), 66, "no message r9.nope"),
            (("delete", "../state.db"), 66, "not the name of a message"),
            (("release", name), 65, "not on hold"),
            (("requeue", name), 65, "in queue/ already"),
            (("hold",), 64, "usage")]:
        r = box.run("queue", *args)
        assert r.returncode == rc, (args, r.stderr)
        assert words in r.stderr, (args, r.stderr)
    assert len(messages(box)) == 2 and os.path.exists(
        os.path.join(box.spool, "state.db"))


def test_a_message_being_delivered_is_not_touched(box, smtp_server):
    srv = smtp_server()
    name, _ = spooled(box, srv)
    with open(os.path.join(box.spool, "queue", name)) as f:
        fcntl.flock(f, fcntl.LOCK_EX)     # what a flush holds
        r = box.run("queue", "delete", name)
    assert r.returncode == 75, r.stderr
    assert "being delivered" in r.stderr
    assert name in messages(box)


def test_flush_id_tries_one_message_now(box, smtp_server):
    srv = smtp_server(rcpt_reply="451 4.3.0 try later")
    a, b = spooled(box, srv)
    box.run("flush", "--now", NOW_ARG)      # both deferred, backing off
    srv.set_mode()
    r = box.run("flush", "--now", NOW_ARG, "--id", b)
    assert r.returncode == 0, r.stderr
    assert messages(box) == [a] and len(srv.messages()) == 1
    r = box.run("flush", "--now", NOW_ARG, "--id", "r9.nope")
    assert r.returncode == 66 and "no message r9.nope" in r.stderr
    r = box.run("flush", "--now", NOW_ARG, "--id", "a/b")
    assert r.returncode == 64


def test_queue_says_when_and_why_it_is_paused(box, smtp_server):
    srv = smtp_server()
    spooled(box, srv)
    srv.stop()
    r = box.run("flush")        # the real clock, as `queue` reads it
    assert r.returncode == 75, r.stderr
    r = box.run("queue")
    last = r.stdout.splitlines()[-1]
    assert last.startswith("paused until "), r.stdout
    assert "(network: " in last
