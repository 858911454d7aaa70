"""A Django application of the kind sendreports replaces: a minimal
project with the model ScheduledReport in an app `reports`, its database
made by Django itself (Debian's python3-django: makemigrations, migrate).

    app = DjangoApp(directory)      # the project, migrated
    app.db                          # its SQLite file
    app.create(title=..., ...)      # a row, through the ORM
    app.rows()                      # every row, through the ORM: sent,
                                    # sent_at (an aware datetime or None),
                                    # last_error ...
    app.schema()                    # what the file holds apart from rows

Everything runs in a subprocess of Debian's /usr/bin/python3, so Django is
imported from where Debian put it."""
import json
import os
import sqlite3
import subprocess

PYTHON = "/usr/bin/python3"

SETTINGS = """\
SECRET_KEY = "sendreports-tests"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth",
                  "reports"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                         "NAME": %r}}
USE_TZ = True
TIME_ZONE = "Europe/Paris"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
"""

# The model of the old application: blank=True text is NOT NULL and holds
# '' for "none", as Django does.
MODELS = """\
from django.db import models


class ScheduledReport(models.Model):
    title = models.CharField(max_length=200)
    recipients = models.TextField()
    subject = models.CharField(max_length=255, null=True, blank=True)
    body = models.TextField(blank=True)
    scheduled_at = models.DateTimeField()
    sent = models.BooleanField(default=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    pdf_path = models.CharField(max_length=500, blank=True)
    report_data = models.TextField(blank=True)
    last_error = models.TextField(blank=True)
"""

MANAGE = """\
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
from django.core.management import execute_from_command_line  # noqa: E402
execute_from_command_line(sys.argv)
"""

# Runs inside the project: reads a JSON request on stdin, answers on stdout.
ORM = """\
import datetime, json, os, sys
sys.path.insert(0, %r)
os.environ["DJANGO_SETTINGS_MODULE"] = "settings"
import django
django.setup()
from django.utils import timezone
from reports.models import ScheduledReport as R
req = json.load(sys.stdin)
if req["op"] == "create":
    f = req["fields"]
    for k in ("scheduled_at", "sent_at"):
        if f.get(k):
            f[k] = datetime.datetime.fromisoformat(f[k])
    print(json.dumps(R.objects.create(**f).id))
else:
    out = []
    for r in R.objects.order_by("id"):
        out.append({"id": r.id, "title": r.title, "recipients": r.recipients,
                    "subject": r.subject, "body": r.body,
                    "scheduled_at": r.scheduled_at.isoformat(),
                    "sent": r.sent,
                    "sent_at": r.sent_at.isoformat() if r.sent_at else None,
                    "pdf_path": r.pdf_path, "report_data": r.report_data,
                    "last_error": r.last_error})
    print(json.dumps(out))
"""


class DjangoApp:
    def __init__(self, directory):
        self.dir = str(directory)
        self.db = os.path.join(self.dir, "db.sqlite3")
        os.makedirs(os.path.join(self.dir, "reports", "migrations"))
        files = {"settings.py": SETTINGS % self.db, "manage.py": MANAGE,
                 "reports/__init__.py": "",
                 "reports/migrations/__init__.py": "",
                 "reports/models.py": MODELS}
        for name, text in files.items():
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(text)
        self.manage("makemigrations", "reports")
        self.manage("migrate")

    def manage(self, *args):
        r = subprocess.run([PYTHON, "manage.py"] + list(args) + ["-v", "0"],
                           cwd=self.dir, capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stderr
        return r.stdout

    def _orm(self, request):
        r = subprocess.run([PYTHON, "-c", ORM % self.dir],
                           input=json.dumps(request), capture_output=True,
                           text=True, timeout=120, cwd=self.dir)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def create(self, **fields):
        """A row made by the ORM; times as ISO 8601 text with an offset."""
        return self._orm({"op": "create", "fields": fields})

    def rows(self):
        return {r["id"]: r for r in self._orm({"op": "rows"})}

    def schema(self):
        """Everything of the file but its rows: the schema's SQL, and the
        header's fields that a program could change."""
        c = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True)
        try:
            objects = c.execute("SELECT type, name, tbl_name, sql FROM "
                                "sqlite_master ORDER BY type, name").fetchall()
            pragmas = {p: c.execute("PRAGMA %s" % p).fetchone()[0] for p in
                       ("user_version", "application_id", "journal_mode",
                        "page_size", "auto_vacuum", "encoding")}
        finally:
            c.close()
        return objects, pragmas
