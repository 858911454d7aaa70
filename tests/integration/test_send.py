"""send: due reports become exactly one spooled message each."""
import hashlib
import os
import shutil

import pytest

from smtpfixture import smtp_server  # noqa: F401

from conftest import NOW, NOW_ARG, BIN


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.mark.valgrind
def test_send_dry_run_lists_due_and_changes_nothing(ready):
    ready.add_pdf("a.pdf")
    due1 = ready.add(pdf_path="a.pdf", scheduled_at="2026-11-23 07:59:59")
    due2 = ready.add(pdf_path="a.pdf", recipients="b@example.com",
                     scheduled_at="2026-11-23 08:00:00")
    ready.add(pdf_path="a.pdf", scheduled_at="2026-11-23 08:00:01")
    ready.add(pdf_path="a.pdf", scheduled_at="2026-11-22 08:00:00", sent=1)
    shutil.rmtree(ready.spool)
    before = digest(ready.db)

    r = ready.run("send", "--dry-run", "--now", NOW_ARG)

    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == [str(due1), str(due2)]
    assert lines[1].split("\t") == [str(due2), "2026-11-23 08:00:00",
                                    "b@example.com", "stored"]
    assert digest(ready.db) == before
    assert not os.path.exists(ready.spool)


def test_send_dry_run_says_fallback_or_error(ready):
    ready.add_pdf("a.pdf")
    ready.add(pdf_path="a.pdf")
    ready.add(pdf_path=None, report_data='{"title": "x"}')
    ready.add(pdf_path=None)
    ready.add(pdf_path="../etc/passwd")
    r = ready.run("send", "--dry-run", "--now", NOW_ARG)
    fields = [line.split("\t")[3] for line in r.stdout.splitlines()]
    assert fields[0] == "stored"
    assert fields[1].startswith("fallback") or fields[1].startswith(
        "deferred")
    assert fields[2].startswith("would give up: no stored PDF")
    assert fields[3].startswith("would give up: pdf_path")
    assert all(row["sent"] == 0 for row in ready.rows().values())


@pytest.mark.valgrind
def test_send_queues_one_message_per_due_report_and_marks_them(ready):
    ready.add_pdf("a.pdf")
    ids = [ready.add(pdf_path="a.pdf", title="R%d" % i) for i in range(5)]
    future = ready.add(pdf_path="a.pdf", scheduled_at="2026-11-24 00:00:00")

    r = ready.run("send", "--now", NOW_ARG)

    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert len(ready.queue()) == 5
    rows = ready.rows()
    for i in ids:
        assert rows[i]["sent"] == 1
        assert rows[i]["sent_at"] == NOW
        assert rows[i]["last_error"] is None
    assert rows[future]["sent"] == 0
    assert ready.tmp_files() == []
    # A second run finds nothing due and queues nothing.
    r = ready.run("send", "--now", NOW_ARG)
    assert r.returncode == 0 and len(ready.queue()) == 5


def test_send_message_is_well_formed_and_pdf_identical(ready):
    pdf = ready.add_pdf("sub/ventes.pdf", size=50000)
    rid = ready.add(pdf_path="sub/ventes.pdf", title="Ventes — octobre",
                    subject="Ventes d'octobre — « Lyon » €",
                    body="Bonjour,\nle rapport est joint.\n",
                    recipients='Zoë Dupont <zoe@example.com>, b@example.com',
                    cc='"Martin, Paul" <paul@example.com>',
                    bcc="secret@example.com")
    r = ready.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    [name] = ready.queue()
    env, raw, msg = ready.read_spool(name)

    assert env["Report-Id"] == str(rid)
    assert env["Sender"] == "rapports@example.com"
    assert sorted(env["Recipient"]) == sorted([
        "zoe@example.com", "b@example.com", "paul@example.com",
        "secret@example.com"])
    # CRLF everywhere, no bare LF, no line over 998 octets.
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert b"secret@example.com" not in raw
    assert "Bcc" not in msg
    assert msg["Subject"] == "Ventes d'octobre — « Lyon » €"
    assert msg["To"].addresses[0].display_name == "Zoë Dupont"
    assert msg["Cc"].addresses[0].display_name == "Martin, Paul"
    assert msg["Message-ID"] == env["Message-Id"]
    assert msg["Date"] is not None
    assert msg.get_content_type() == "multipart/mixed"
    text, att = msg.get_payload()
    assert text.get_content_type() == "text/plain"
    assert text["Content-Transfer-Encoding"] == "quoted-printable"
    assert text.get_content() .replace("\r\n", "\n") == \
        "Bonjour,\nle rapport est joint.\n"
    assert att.get_content_type() == "application/pdf"
    assert att.get_filename() == "Ventes — octobre.pdf"
    with open(pdf, "rb") as f:
        assert att.get_content() == f.read()
    b64 = att.get_payload(decode=False).split("\r\n")
    assert all(len(line) == 76 for line in b64[:-2])


def test_send_message_id_is_derived_from_report_and_occurrence(ready):
    ready.add_pdf("a.pdf")
    rid = ready.add(pdf_path="a.pdf", scheduled_at="2026-11-23 07:30:00")
    ready.run("send", "--now", NOW_ARG)
    [name] = ready.queue()
    assert name == "r%d.20261123T073000Z" % rid
    env, _, msg = ready.read_spool(name)
    assert msg["Message-ID"] == "<r%d.20261123T073000Z.sendreports@" \
        "example.com>" % rid


def test_send_default_subject_and_body(ready):
    ready.add_pdf("a.pdf")
    ready.add(pdf_path="a.pdf", title="Stocks", subject=None, body=None)
    ready.run("send", "--now", NOW_ARG)
    _, _, msg = ready.read_spool(ready.queue()[0])
    assert msg["Subject"] == "Stocks"
    text = msg.get_payload()[0].get_content()
    assert "Veuillez trouver ci-joint le rapport." in text


def test_send_idempotent_when_database_replaced_by_fresh_copy(ready):
    ready.add_pdf("a.pdf")
    for _ in range(3):
        ready.add(pdf_path="a.pdf")
    fresh = os.path.join(ready.root, "fresh.db")
    shutil.copy(ready.db, fresh)          # the sync job's copy: sent = 0
    assert ready.run("send", "--now", NOW_ARG).returncode == 0
    assert len(ready.queue()) == 3
    for suffix in ("-wal", "-shm"):
        if os.path.exists(ready.db + suffix):
            os.unlink(ready.db + suffix)
    os.replace(fresh, ready.db)
    assert all(r["sent"] == 0 for r in ready.rows().values())

    r = ready.run("send", "--now", NOW_ARG)

    assert r.returncode == 0, r.stderr
    assert len(ready.queue()) == 3
    assert all(r["sent"] == 1 for r in ready.rows().values())


def test_send_nothing_due_is_silent_success(ready):
    r = ready.run("send", "--now", NOW_ARG)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")


def test_send_missing_database_is_no_input(box):
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 66
    assert "does not exist" in r.stderr


def test_send_old_command_name_works(ready, tmp_path, smtp_server):
    """Under the old command's name: --dry-run lists, and without it the
    due reports are sent and delivered (tick), as the old command did."""
    srv = smtp_server()
    ready.write_conf("[smtp]\nurl = %s\ntls = none\ntimeout = 3\n" % srv.url)
    ready.add_pdf("a.pdf")
    ready.add(pdf_path="a.pdf")
    link = tmp_path / "send_scheduled_reports"
    os.symlink(BIN, link)
    env = {"SENDREPORTS_CONFIG": ready.conf}
    r = ready.run(argv=[str(link), "--dry-run", "--now", NOW_ARG], env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.endswith("\tstored\n")
    assert ready.queue() == []
    r = ready.run(argv=[str(link), "--now", NOW_ARG], env=env)
    assert r.returncode == 0, r.stderr
    assert ready.queue() == []
    assert len(srv.messages()) == 1


def test_send_json(ready):
    import json
    ready.add_pdf("a.pdf")
    rid = ready.add(pdf_path="a.pdf")
    bad = ready.add(pdf_path="a.pdf", recipients="nobody")
    r = ready.run("send", "--json", "--now", NOW_ARG)
    assert r.returncode == 65
    doc = json.loads(r.stdout)
    assert doc["queued"] == 1 and doc["given_up"] == 1
    by_id = {x["id"]: x for x in doc["reports"]}
    assert by_id[rid]["outcome"] == "queued"
    assert by_id[rid]["source"] == "stored"
    assert by_id[bad]["outcome"] == "given up"
    assert "nobody" in by_id[bad]["error"]


def test_send_busy_database_defers_with_75(ready):
    import sqlite3
    ready.add_pdf("a.pdf")
    ready.add(pdf_path="a.pdf")
    holder = sqlite3.connect(ready.db, timeout=1, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        r = ready.run("send", "--now", NOW_ARG)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert r.returncode == 75, r.stderr
    assert all(row["sent"] == 0 for row in ready.rows().values())
    # The next run sends it, once.
    r = ready.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert len(ready.queue()) == 1
    assert all(row["sent"] == 1 for row in ready.rows().values())
