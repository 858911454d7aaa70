"""The old system as it is: a copy of the BI application's own Django
database on the box, the old cron line, and the rows read back through
Django's ORM.  The database is made by Django itself (djangoapp.py)."""
import datetime
import hashlib
import json
import os
import sqlite3

import pytest

from conftest import BIN, EMULATOR, NOW_ARG, now_utc
from djangoapp import DjangoApp
from smtpfixture import smtp_server  # noqa: F401

TABLE = "reports_scheduledreport"
# What the old crontab lines pass to every management command.
DJANGO_OPTIONS = ["--settings=bi.settings.production", "--pythonpath",
                  "/srv/bi", "-v", "1", "--verbosity=1", "--traceback",
                  "--no-color", "--force-color", "--skip-checks"]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def iso(delta_minutes):
    t = datetime.datetime.now(datetime.timezone.utc) + \
        datetime.timedelta(minutes=delta_minutes)
    return t.isoformat()


@pytest.fixture
def app(tmp_path):
    return DjangoApp(tmp_path / "bi")


def use_django(box, app, table=TABLE, extra=""):
    box.write_conf("[database]\npath = %s\n%s%s" % (
        app.db, "table = %s\n" % table if table else "", extra))


def test_django_database_without_table_setting_is_refused_untouched(box, app):
    """Pointed at Django's file without [database] table: check and
    initdb say which table is missing, exit 78, and change nothing."""
    use_django(box, app, table=None)
    before, schema = sha256(app.db), app.schema()
    r = box.run("check")
    assert r.returncode == 78
    assert "has no table scheduled_reports" in r.stdout
    r = box.run("initdb")
    assert r.returncode == 78
    assert "initdb --create-table" in r.stderr
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 78
    assert sha256(app.db) == before and app.schema() == schema


def test_django_table_without_a_required_column_is_named(box, app):
    c = sqlite3.connect(app.db)
    c.execute("CREATE TABLE legacy (id INTEGER PRIMARY KEY, title TEXT, "
              "scheduled_at TEXT, sent INTEGER)")
    c.commit()
    c.close()
    use_django(box, app, table="legacy")
    before = sha256(app.db)
    r = box.run("check")
    assert r.returncode == 78
    assert "table legacy has no column recipients" in r.stdout
    assert sha256(app.db) == before


def test_django_check_and_initdb_create_nothing_in_the_file(box, app):
    use_django(box, app)
    schema = app.schema()
    r = box.run("initdb")
    assert r.returncode == 0, r.stderr
    assert "did not create" in r.stdout
    r = box.run("check")
    assert r.returncode == 0, r.stdout + r.stderr
    assert app.schema() == schema
    # Its own files are beside the spool.
    assert os.path.exists(os.path.join(box.spool, "state.db"))


def test_django_initdb_create_table_only_when_told(box, app):
    use_django(box, app, table="sendreports_reports")
    r = box.run("initdb")
    assert r.returncode == 78
    r = box.run("initdb", "--create-table")
    assert r.returncode == 0, r.stderr
    objects, pragmas = app.schema()
    assert ("table", "sendreports_reports") in [o[:2] for o in objects]
    # Only the table and its index: the file stays Django's.
    assert pragmas["journal_mode"] == "delete"
    assert pragmas["application_id"] == 0


@pytest.mark.valgrind
def test_django_old_cron_line_sends_delivers_and_django_reads_it(
        box, app, smtp_server):
    """The old cron line, Django's options and all, against a copy of
    Django's database: the due reports are sent and delivered, and Django
    reads back sent, sent_at and last_error = ''."""
    srv = smtp_server()
    use_django(box, app, extra="[smtp]\nurl = %s\ntls = none\n" % srv.url)
    box.add_pdf("ventes.pdf")
    stored = app.create(title="Ventes", recipients="a@example.com",
                        subject="Ventes du mois", scheduled_at=iso(-5),
                        pdf_path="ventes.pdf")
    data = json.dumps({"title": "Stock", "columns": ["Produit", "Qté"],
                       "rows": [["Café", 3]]})
    fallback = app.create(title="Stock", recipients="b@example.com",
                          scheduled_at=iso(-2), report_data=data)
    later = app.create(title="Demain", recipients="c@example.com",
                       scheduled_at=iso(24 * 60))
    schema = app.schema()
    assert box.run("initdb").returncode == 0

    link = os.path.join(box.root, "send_scheduled_reports")
    os.symlink(BIN, link)
    r = box.run(argv=[link, "-c", box.conf] + DJANGO_OPTIONS)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    msgs = srv.messages()
    assert sorted(m[1][0] for m in msgs) == ["a@example.com",
                                                 "b@example.com"]
    assert box.queue() == []

    rows = app.rows()
    for rid in (stored, fallback):
        assert rows[rid]["sent"] is True
        assert rows[rid]["last_error"] == ""
        sent_at = datetime.datetime.fromisoformat(rows[rid]["sent_at"])
        age = datetime.datetime.now(datetime.timezone.utc) - sent_at
        assert datetime.timedelta(0) <= age < datetime.timedelta(minutes=5)
    assert rows[later]["sent"] is False and rows[later]["sent_at"] is None
    assert app.schema() == schema

    # The next minute's run finds nothing to do, quietly.
    r = box.run(argv=[link, "-c", box.conf] + DJANGO_OPTIONS)
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""
    assert len(srv.messages()) == 2


@pytest.mark.skipif(bool(EMULATOR), reason="the script execs the binary by "
                    "path, which a foreign binary cannot be without "
                    "binfmt_misc")
def test_django_send_reports_sh_is_the_old_crontab_line(box, app,
                                                       smtp_server):
    """etc/send_reports.sh, with the paths install writes into it, run as
    the old crontab line ran it: the report is delivered."""
    srv = smtp_server()
    use_django(box, app, extra="[smtp]\nurl = %s\ntls = none\n" % srv.url)
    app.create(title="Ventes", recipients="a@example.com",
               scheduled_at=iso(-5), report_data='{"title": "x"}')
    assert box.run("initdb").returncode == 0
    bindir = os.path.join(box.root, "bin")
    os.makedirs(bindir)
    os.symlink(BIN, os.path.join(bindir, "send_scheduled_reports"))
    top = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    with open(os.path.join(top, "etc", "send_reports.sh")) as f:
        text = f.read()
    script = os.path.join(bindir, "send_reports.sh")
    with open(script, "w") as f:
        f.write(text.replace("/usr/bin/", bindir + "/").replace(
            "/etc/sendreports.ini", box.conf))
    os.chmod(script, 0o755)
    r = box.run(argv=["/bin/sh", script, "--settings=bi.settings", "-v",
                      "0"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == "" and r.stderr == ""
    assert len(srv.messages()) == 1
    assert list(app.rows().values())[0]["sent"] is True


def test_django_dry_run_lists_and_changes_nothing(box, app):
    use_django(box, app)
    app.create(title="Ventes", recipients="a@example.com",
               scheduled_at=iso(-5), report_data='{"title": "x"}')
    before = sha256(app.db)
    link = os.path.join(box.root, "send_scheduled_reports")
    os.symlink(BIN, link)
    r = box.run(argv=[link, "-c", box.conf, "--dry-run", "--settings=x"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.endswith("\ta@example.com\tfallback\n")
    assert sha256(app.db) == before
    assert not os.path.exists(os.path.join(box.spool, "queue")) or \
        box.queue() == []


def test_django_old_name_help_and_unknown_option(box):
    link = os.path.join(box.root, "send_scheduled_reports")
    os.symlink(BIN, link)
    r = box.run(argv=[link, "--help"])
    assert r.returncode == 0
    assert "--dry-run" in r.stdout and "--settings" in r.stdout
    r = box.run(argv=[link, "--frobnicate"])
    assert r.returncode == 64
    assert "--frobnicate" in r.stderr


def test_django_empty_last_error_is_not_a_failure(box, app):
    use_django(box, app)
    app.create(title="Fait", recipients="a@example.com",
               scheduled_at=iso(-60), sent=True, sent_at=iso(-59))
    r = box.run("list", "--failed")
    assert r.returncode == 0 and r.stdout == ""
    r = box.run("list", "--sent")
    assert "\tsent\t" in r.stdout and "Fait" in r.stdout


def test_scheduled_at_with_offset_is_due_at_its_instant(ready):
    """As text, 08:30+01:00 sorts after 08:00Z although it is 07:30Z; and
    07:30-01:00 sorts before although it is 08:30Z."""
    early = ready.add(scheduled_at="2026-11-23T08:30:00+01:00",
                      report_data='{"title": "x"}')
    late = ready.add(scheduled_at="2026-11-23T07:30:00-01:00",
                     report_data='{"title": "x"}')
    zulu = ready.add(scheduled_at="2026-11-23T07:59:00Z",
                     report_data='{"title": "x"}')
    bad = ready.add(scheduled_at="demain 8h", report_data='{"title": "x"}')
    r = ready.run("send", "--now", NOW_ARG)
    assert r.returncode == 65, r.stderr
    rows = ready.rows()
    assert rows[early]["sent"] == 1 and rows[early]["last_error"] is None
    assert rows[zulu]["sent"] == 1
    assert rows[late]["sent"] == 0
    assert rows[bad]["sent"] == 1
    assert "not a time" in rows[bad]["last_error"]


REFUSAL = "550 5.1.1 <x@example.com>: Recipient address rejected"


@pytest.mark.valgrind
def test_django_refused_recipients_reach_the_report_owner(box, app,
                                                          smtp_server):
    """A message refused (5xx) and one partly refused: the next run writes
    the server's reply to each report's last_error (sent stays 1), list
    --failed shows them, and [mail] notify gets one notice each, from the
    null sender; a notice is never noticed again."""
    srv = smtp_server(rcpt_reply=REFUSAL, rcpt_match=["x@example.com"])
    use_django(box, app, extra="[smtp]\nurl = %s\ntls = none\n"
               "[mail]\nnotify = Ops <ops@example.com>\n" % srv.url)
    data = '{"title": "x"}'
    partly = app.create(title="Ventes", recipients="a@example.com, "
                        "x@example.com", scheduled_at=iso(-5),
                        report_data=data)
    refused = app.create(title="Stock", recipients="x@example.com",
                         scheduled_at=iso(-4), report_data=data)
    ok = app.create(title="Caisse", recipients="b@example.com",
                    scheduled_at=iso(-3), report_data=data)
    schema = app.schema()
    assert box.run("initdb").returncode == 0
    link = os.path.join(box.root, "send_scheduled_reports")
    os.symlink(BIN, link)
    r = box.run(argv=[link, "-c", box.conf])
    assert r.returncode == 0, r.stderr
    # The next minute: the write-back, and the notices delivered.
    r = box.run(argv=[link, "-c", box.conf])
    assert r.returncode == 0, r.stderr

    rows = app.rows()
    assert rows[partly]["sent"] and REFUSAL in rows[partly]["last_error"]
    assert rows[refused]["sent"] and REFUSAL in rows[refused]["last_error"]
    assert rows[ok]["sent"] and rows[ok]["last_error"] == ""
    r = box.run("list", "--failed")
    assert sorted(l.split("\t")[0] for l in r.stdout.splitlines()) == \
        sorted([str(partly), str(refused)])

    notices = [m for m in srv.messages() if m[1] == ["ops@example.com"]]
    assert len(notices) == 2
    for sender, _, raw in notices:
        assert sender in ("", "<>")     # aiosmtpd keeps <> as given
        import email
        import email.policy
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert msg["Subject"].startswith("Report not delivered: ")
        assert msg.get_content_type() == "text/plain"
        assert REFUSAL in msg.get_content()
    assert app.schema() == schema

    # A third run: nothing more is written or sent.
    before = len(srv.messages())
    r = box.run(argv=[link, "-c", box.conf])
    assert r.returncode == 0 and r.stderr == ""
    assert len(srv.messages()) == before


def test_django_write_back_never_lands_on_another_report(box, app,
                                                         smtp_server):
    """The sync job replaced the file between delivery and write-back:
    the id now holds another report, which keeps its last_error."""
    srv = smtp_server(rcpt_reply=REFUSAL)
    use_django(box, app, extra="[smtp]\nurl = %s\ntls = none\n" % srv.url)
    rid = app.create(title="Ventes", recipients="x@example.com",
                     scheduled_at=iso(-5), report_data='{"title": "x"}')
    assert box.run("initdb").returncode == 0
    r = box.run("tick")
    assert r.returncode == 0, r.stderr
    # The fresh copy: same id, another report, not yet due.
    c = sqlite3.connect(app.db)
    with c:
        c.execute("UPDATE reports_scheduledreport SET title = 'Autre', "
                  "recipients = 'y@example.com', sent = 0, "
                  "scheduled_at = ?, last_error = '' WHERE id = ?",
                  (now_utc(3600), rid))
    c.close()
    r = box.run("tick")
    assert r.returncode == 0, r.stderr
    row = app.rows()[rid]
    assert row["title"] == "Autre" and row["last_error"] == ""
    assert row["sent"] is False


def test_fresh_copy_is_repaired_with_the_delivery_error(ready, smtp_server):
    """A report whose message was refused, then a fresh copy of the
    database with sent = 0: send marks it sent again, with the refusal."""
    srv = smtp_server(rcpt_reply=REFUSAL)
    ready.write_conf("[smtp]\nurl = %s\ntls = none\n" % srv.url)
    rid = ready.add(report_data='{"title": "x"}', recipients="x@example.com")
    assert ready.run("tick", "--now", NOW_ARG).returncode == 0
    assert ready.run("tick", "--now", NOW_ARG).returncode == 0
    assert REFUSAL in ready.rows()[rid]["last_error"]
    c = ready.connect()
    with c:
        c.execute("UPDATE scheduled_reports SET sent = 0, last_error = NULL,"
                  " sent_at = NULL")
    c.close()
    assert ready.run("tick", "--now", NOW_ARG).returncode == 0
    row = ready.rows()[rid]
    assert row["sent"] == 1 and REFUSAL in row["last_error"]
    assert len(srv.messages()) == 0
