"""schedule, list and initdb."""
import json
import os

import pytest

from conftest import NOW_ARG


@pytest.mark.valgrind
def test_initdb_creates_private_spool_and_indexed_database(box):
    r = box.initdb()
    assert "ready" in r.stdout
    assert os.stat(box.spool).st_mode & 0o777 == 0o700
    for sub in ("tmp", "queue", "failed"):
        assert os.stat(os.path.join(box.spool, sub)).st_mode & 0o777 == 0o700
    c = box.connect()
    plan = c.execute("EXPLAIN QUERY PLAN SELECT id FROM scheduled_reports "
                     "WHERE sent = 0 AND scheduled_at <= ?",
                     ("2026-01-01",)).fetchall()
    cols = [r[1] for r in c.execute("PRAGMA table_info(scheduled_reports)")]
    mode = c.execute("PRAGMA journal_mode").fetchone()[0]
    c.close()
    assert "scheduled_reports_due" in " ".join(str(tuple(p)) for p in plan)
    assert cols == ["id", "title", "recipients", "cc", "bcc", "subject",
                    "body", "scheduled_at", "sent", "sent_at", "pdf_path",
                    "report_data", "schedule", "timezone", "last_error"]
    # A rollback journal: a WAL is shared by path with whatever file the
    # sync job renames there (test_replace.py).
    assert mode == "delete"
    assert box.initdb().returncode == 0          # twice is fine


def test_sync_job_file_with_only_the_table_works(box):
    import sqlite3
    c = sqlite3.connect(box.db)
    c.execute("CREATE TABLE scheduled_reports (id INTEGER PRIMARY KEY, "
              "title TEXT NOT NULL, recipients TEXT NOT NULL, cc TEXT, "
              "bcc TEXT, subject TEXT, body TEXT, scheduled_at TEXT NOT NULL,"
              " sent INTEGER NOT NULL DEFAULT 0, sent_at TEXT, pdf_path TEXT,"
              " report_data TEXT, schedule TEXT, timezone TEXT, "
              "last_error TEXT)")
    c.execute("INSERT INTO scheduled_reports (title, recipients, "
              "scheduled_at, pdf_path) VALUES ('x', 'a@example.com', "
              "'2026-11-23 07:00:00.123456', 'a.pdf')")
    c.commit()
    c.close()
    box.add_pdf("a.pdf")
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert box.queue() == ["r1.20261123T070000Z"]


def test_schedule_adds_a_report_with_a_stored_pdf(ready, tmp_path):
    src = tmp_path / "in.pdf"
    src.write_bytes(open(ready.add_pdf("x.pdf"), "rb").read())
    r = ready.run("schedule", "--to", "Zoë <z@example.com>", "--at",
                  "2026-11-23 09:00", "--title", "Ventes", "--pdf", src,
                  "--cc", "c@example.com", "--bcc", "b@example.com")
    assert r.returncode == 0, r.stderr
    rid = int(r.stdout)
    row = ready.rows()[rid]
    assert row["scheduled_at"] == "2026-11-23 09:00:00"     # zone: UTC
    assert row["pdf_path"] == "report-%d.pdf" % rid
    assert row["recipients"] == "Zoë <z@example.com>"
    with open(os.path.join(ready.pdf_dir, row["pdf_path"]), "rb") as f:
        assert f.read() == src.read_bytes()
    r = ready.run("send", "--now", "2026-11-23T09:00:00Z")
    assert r.returncode == 0, r.stderr
    assert len(ready.queue()) == 1


def test_schedule_reads_time_in_configured_zone(ready):
    ready.write_conf("[mail]\ntimezone = Europe/Paris\n")
    r = ready.run("schedule", "--to", "a@example.com", "--at",
                  "2026-07-01 08:00", "--data", "-", input='{"rows": []}')
    assert r.returncode == 0, r.stderr
    row = ready.rows()[int(r.stdout)]
    assert row["scheduled_at"] == "2026-07-01 06:00:00"
    assert json.loads(row["report_data"]) == {"rows": []}


def test_schedule_refuses_bad_input_and_writes_nothing(ready, tmp_path):
    notpdf = tmp_path / "x.pdf"
    notpdf.write_text("hello")
    cases = [
        (["--to", "nobody", "--at", "2026-11-23 09:00"], 65, "nobody"),
        (["--to", "a@example.com", "--at", "tomorrow"], 64, "tomorrow"),
        (["--to", "a@example.com", "--at", "2026-11-23 09:00",
          "--subject", "a\nb"], 65, "line break"),
        (["--to", "a@example.com", "--at", "2026-11-23 09:00",
          "--pdf", str(notpdf)], 73, "not a PDF"),
        (["--to", "a@example.com", "--at", "2026-11-23 09:00",
          "--pdf", str(tmp_path / "missing.pdf")], 66, "missing.pdf"),
        (["--to", "a@example.com", "--at", "2026-11-23 09:00",
          "--data", "-"], 65, "not valid JSON"),
        (["--at", "2026-11-23 09:00"], 64, "usage"),
    ]
    for args, code, words in cases:
        r = ready.run("schedule", *args, input="{oops")
        assert r.returncode == code, (args, r.stderr)
        assert words in r.stderr, (args, r.stderr)
    assert ready.rows() == {}
    assert os.listdir(ready.pdf_dir) == []


def test_list_shows_states_and_filters(ready):
    ready.add_pdf("a.pdf")
    ok = ready.add(pdf_path="a.pdf", title="ok")
    bad = ready.add(pdf_path="gone.pdf", title="bad")
    later = ready.add(pdf_path="a.pdf", title="later",
                      scheduled_at="2026-12-01 07:00:00")
    ready.run("send", "--now", NOW_ARG)
    r = ready.run("list")
    assert r.returncode == 0, r.stderr
    lines = [line.split("\t") for line in r.stdout.splitlines()]
    state = {int(f[0]): f[1] for f in lines}
    assert state == {ok: "sent", bad: "failed", later: "pending"}
    assert lines[0][2] == "2026-11-23 07:00 UTC"
    assert [int(line.split("\t")[0]) for line in
            ready.run("list", "--failed").stdout.splitlines()] == [bad]
    assert [int(line.split("\t")[0]) for line in
            ready.run("list", "--pending").stdout.splitlines()] == [later]
    doc = json.loads(ready.run("list", "--json").stdout)
    assert {d["id"]: d["state"] for d in doc} == state
    assert [d for d in doc if d["id"] == bad][0]["last_error"]
