"""sendreports as sendmail: what the box's scripts hand to sendmail (cron's
mail, logwatch, mail(1)) is queued in the same durable spool as the
reports, checked like them, delivered by the same flush, managed with the
same queue commands; and invoked as mailq, it lists the queue."""
import email
import email.policy
import os

import pytest

from conftest import BIN, EMULATOR, NOW_ARG
from smtpfixture import smtp_server  # noqa: F401


def conf(box, srv=None):
    box.write_conf("[smtp]\nurl = %s\ntls = none\ntimeout = 3\n"
                   % (srv.url if srv else "smtp://127.0.0.1:1"))
    box.initdb()


def sendmail(box, text, *args):
    return box.run("sendmail", *args, input=text)


def mail_files(box):
    return [n for n in box.queue() if n.startswith("s")]


def parsed(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_t_takes_the_recipients_from_the_headers(box, smtp_server):
    srv = smtp_server()
    conf(box, srv)
    r = sendmail(box, "Subject: disk full\nTo: ops@example.com\n"
                 "Cc: Zoé <zoe@example.com>\nBcc: audit@example.com\n\n"
                 "The disk of box 42 is full.\n", "-t", "-oi")
    assert r.returncode == 0, r.stderr
    assert len(mail_files(box)) == 1
    assert box.run("flush", "--now", NOW_ARG).returncode == 0
    [(mail_from, rcpts, raw)] = srv.messages()
    assert mail_from == "rapports@example.com"
    assert sorted(rcpts) == ["audit@example.com", "ops@example.com",
                             "zoe@example.com"]
    m = parsed(raw)
    assert m["Bcc"] is None and m["Subject"] == "disk full"
    assert m["From"] == "Rapports <rapports@example.com>"
    assert m["Date"] and m["Message-ID"].startswith("<s")
    assert m.get_content().strip() == "The disk of box 42 is full."
    assert b"\r\n" in raw and b"\n\n" not in raw.replace(b"\r\n", b"")


def test_a_dot_line_ends_the_message_unless_i(box, smtp_server):
    srv = smtp_server()
    conf(box, srv)
    body = "Subject: x\n\nfirst\n.\nsecond\n"
    assert sendmail(box, body, "a@example.com").returncode == 0
    assert sendmail(box, body, "-i", "b@example.com").returncode == 0
    assert box.run("flush", "--now", NOW_ARG).returncode == 0
    got = {tuple(r): parsed(raw).get_content().replace("\r\n", "\n")
           for _, r, raw in srv.messages()}
    assert got[("a@example.com",)].strip() == "first"
    assert got[("b@example.com",)].strip() == "first\n.\nsecond"


def test_f_and_F_name_the_sender(box, smtp_server):
    srv = smtp_server()
    conf(box, srv)
    r = sendmail(box, "Subject: cron\n\nok\n", "-f", "cron@box42.example.com",
                 "-F", "Cron Daemon", "root@example.com")
    assert r.returncode == 0, r.stderr
    assert box.run("flush", "--now", NOW_ARG).returncode == 0
    [(mail_from, rcpts, raw)] = srv.messages()
    assert mail_from == "cron@box42.example.com"
    assert parsed(raw)["From"] == "Cron Daemon <cron@box42.example.com>"


def test_its_own_message_id_names_it(box, smtp_server):
    srv = smtp_server()
    conf(box, srv)
    r = sendmail(box, "Message-ID: <abc.123@box42.example.com>\n"
                 "Subject: x\n\nok\n", "a@example.com")
    assert r.returncode == 0, r.stderr
    [name] = mail_files(box)
    assert box.read_spool(name)[0]["Message-Id"] == \
        "<abc.123@box42.example.com>"


@pytest.mark.parametrize("text,args,rc,words", [
    ("Subject: x\n\n" + "y" * 1000 + "\n", ["a@example.com"], 65,
     "over the 998"),
    ("Subject: x\n\nnul\0here\n", ["a@example.com"], 65, "NUL"),
    ("Subject: x\n\nnobody\n", [], 64, "no recipient"),
    ("Subject: x\nTo: not an address\n\nx\n", ["-t"], 65, "bad address"),
    ("Subject: x\n\nx\n", ["a@@example.com"], 64, "a@@example.com"),
    ("Subject: x\n\nx\n", ["-bs"], 64, "-bs is not supported"),
])
def test_bad_input_is_refused_and_nothing_queued(box, text, args, rc, words):
    conf(box)
    r = sendmail(box, text, *args)
    assert r.returncode == rc, r.stderr
    assert words in r.stderr
    assert box.queue() == [] and box.tmp_files() == []


@pytest.mark.skipif(bool(EMULATOR), reason="links to a native binary")
def test_links_named_sendmail_and_mailq(box, tmp_path, smtp_server):
    srv = smtp_server()
    conf(box, srv)
    for name in ("sendmail", "mailq"):
        os.symlink(BIN, str(tmp_path / name))
    r = box.run(argv=[str(tmp_path / "sendmail"), "-C", box.conf, "-t"],
                input="To: a@example.com\nSubject: x\n\nok\n")
    assert r.returncode == 0, r.stderr
    r = box.run(argv=[str(tmp_path / "mailq"), "-C", box.conf])
    assert r.returncode == 0, r.stderr
    [line] = r.stdout.splitlines()
    assert line.startswith("s") and "\ta@example.com\t" in line


def test_a_mail_and_a_report_share_the_queue_and_its_commands(
        box, smtp_server):
    srv = smtp_server()
    conf(box, srv)
    box.add_pdf("a.pdf")
    box.add(pdf_path="a.pdf")
    assert box.run("send", "--now", NOW_ARG).returncode == 0
    assert sendmail(box, "Subject: x\n\nok\n", "a@example.com",
                    "b@example.com").returncode == 0
    [mail] = mail_files(box)
    assert len(box.queue()) == 2
    assert box.run("queue", "hold", mail).returncode == 0
    assert box.run("flush", "--now", NOW_ARG).returncode == 0
    assert box.queue() == [mail] and len(srv.messages()) == 1
    assert box.run("queue", "release", mail).returncode == 0
    assert box.run("flush", "--now", NOW_ARG).returncode == 0
    assert box.queue() == [] and len(srv.messages()) == 2
