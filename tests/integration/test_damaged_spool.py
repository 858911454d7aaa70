"""Damaged queue files: flush moves each one to failed/ with its reason,
sends none of it (half a message least of all), and goes on delivering
the good messages queued beside them.  The fuzz target fuzz_spool reads
such files by the million; this drives the real flush against a real
SMTP server on 127.0.0.1."""
import email
import email.policy
import os

import pytest
import random

from conftest import NOW_ARG
from smtpfixture import smtp_server  # noqa: F401

MAGIC = b"SENDREPORTS-SPOOL 1\r\n"


def smtp_conf(box, url):
    box.write_conf("[smtp]\nurl = %s\ntls = none\ntimeout = 3\n" % url)


def spool_good(box, n):
    """n due reports with stored PDFs, spooled by send; their PDFs."""
    box.initdb()
    pdfs = {}
    for i in range(n):
        name = "r%d.pdf" % i
        path = box.add_pdf(name, size=3000 + i, text="Rapport %d" % i)
        rid = box.add(pdf_path=name)
        with open(path, "rb") as f:
            pdfs[rid] = f.read()
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert len(box.queue()) == n
    return pdfs


def envelope(fields):
    return MAGIC + b"".join(b"%s: %s\r\n" % (k, v) for k, v in fields) + \
        b"\r\n"


def damaged_files(good):
    """name: (bytes, what the reason must say), from the good file's
    bytes: each a way a queue file is found damaged."""
    head, _, message = good.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    fields = [tuple(line.split(b": ", 1)) for line in lines[1:]]
    no_length = [(k, v) for k, v in fields if k != b"Length"]
    no_rcpt = [(k, v) for k, v in no_length if k != b"Recipient"]
    rng = random.Random(13)
    blob = bytes(rng.randrange(256) for _ in range(5000))
    # Past SPOOL_ENVELOPE_MAX (4 MiB): what send would never write.
    pad = [(b"X-Pad-%d" % i, b"p" * 200) for i in range(21000)]
    return {
        # The envelope cut in the middle: no empty line.
        "d01-truncated-envelope": (good[:70], "truncated envelope"),
        # The message cut short: its Length says more.
        "d02-truncated-message": (good[:len(good) - 500],
                                  "truncated message"),
        "d03-nul-bytes": (good.replace(b"Sender: ", b"Sender: \0", 1),
                          "NUL byte in envelope"),
        # Unknown fields are allowed, but not 4 MiB of them.
        "d04-huge-envelope": (envelope(no_length[:1] + pad + no_length[1:])
                              + message, "envelope too large"),
        "d05-missing-recipient": (envelope(no_rcpt) + message,
                                  "incomplete envelope"),
        "d06-binary-blob": (blob, "not a valid spool file"),
        # A bare LF inside a field would have put a command after RCPT.
        "d07-lf-in-recipient": (envelope(no_rcpt + [
            (b"Recipient", b"a@example.com\nRCPT TO:<evil@example.com>")])
            + message, "control character 0x0a in envelope"),
        "d08-empty-file": (b"", "truncated envelope"),
        "d09-envelope-only": (envelope(no_length), "no message after"),
        "d10-not-ours": (b"From: x@example.com\r\nSubject: hi\r\n\r\nhi\r\n",
                         "not a spool file"),
    }


@pytest.mark.valgrind
def test_damaged_files_go_to_failed_and_good_ones_are_delivered(
        box, smtp_server):
    srv = smtp_server()
    smtp_conf(box, srv.url)
    pdfs = spool_good(box, 2)
    good_name = box.queue()[0]
    with open(os.path.join(box.spool, "queue", good_name), "rb") as f:
        good = f.read()
    assert good.startswith(MAGIC + b"Length: %020d\r\n" % len(good))
    damaged = damaged_files(good)
    for name, (data, _) in damaged.items():
        path = os.path.join(box.spool, "queue", name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)

    # The damaged ones sort first: the run must go on after them.
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert box.queue() == []

    # Each damaged file is in failed/, whole, beside its reason.
    failed = os.path.join(box.spool, "failed")
    for name, (data, why) in damaged.items():
        with open(os.path.join(failed, name), "rb") as f:
            assert f.read() == data, name
        with open(os.path.join(failed, name + ".reason")) as f:
            reason = f.read().splitlines()
        assert len(reason) == 2, (name, reason)
        assert reason[1].startswith("not a valid spool file"), reason
        assert why in reason[1], (name, reason)
        assert name in r.stderr
    assert sorted(os.listdir(failed)) == sorted(
        list(damaged) + [n + ".reason" for n in damaged])

    # Only the good messages reached the server, each whole.
    got = srv.messages()
    assert len(got) == 2
    seen = set()
    for mail_from, rcpts, raw in got:
        assert mail_from == "rapports@example.com"
        assert rcpts == ["a@example.com"]
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        [part] = list(msg.iter_attachments())
        rid = int(msg["Message-ID"].split(".")[0].lstrip("<r"))
        assert part.get_content() == pdfs[rid]
        seen.add(rid)
    assert seen == set(pdfs)
    assert not any(b"evil" in raw for _, _, raw in got)

    # queue lists them as failed with their reasons; nothing is retried.
    r = box.run("queue")
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == len(damaged)
    assert "not a valid spool file" in r.stdout
    before = srv.connection_count()
    r = box.run("flush", "--now", NOW_ARG, "--force")
    assert r.returncode == 0, r.stderr
    assert srv.connection_count() == before
    assert len(srv.messages()) == 2


def test_a_file_queued_before_length_existed_is_still_delivered(
        box, smtp_server):
    """Files spooled by an older version have no Length line: read as
    they are, so an upgrade loses nothing queued."""
    srv = smtp_server()
    smtp_conf(box, srv.url)
    spool_good(box, 1)
    [name] = box.queue()
    path = os.path.join(box.spool, "queue", name)
    with open(path, "rb") as f:
        data = f.read()
    old = data.replace(b"Length: %020d\r\n" % len(data), b"", 1)
    assert len(old) == len(data) - 30
    with open(path, "wb") as f:
        f.write(old)
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert box.queue() == []
    [(_, _, raw)] = srv.messages()
    assert raw.replace(b"\r\n", b"\n") == \
        old.partition(b"\r\n\r\n")[2].replace(b"\r\n", b"\n")
