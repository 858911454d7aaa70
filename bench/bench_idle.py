"""The idle tick: what cron pays every minute when nothing is due.

A reports database with 1,000 / 100,000 / 1,000,000 rows, all sent, made
by `sendreports initdb` (so it has the partial index of the due query)
and filled in one transaction; the 1,000,000-row file is cached under
build/bench/cache between runs.  `sendreports -c CONF tick` (nothing due,
nothing queued) runs many times after a warm-up, the static binary and
the dynamic build, side by side with the command it replaces: a minimal
Django project with the old model (tests/integration/djangoapp.py) and a
management command send_scheduled_reports written the way the old app
did (select the due, unsent reports; send each; nothing due: exit), run
as `/usr/bin/python3 manage.py send_scheduled_reports` on a database of
the same rows.  Also: EXPLAIN QUERY PLAN of both queries, and the system
calls of one idle tick (strace -c).
"""
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests",
                                "integration"))
import benchlib as bl  # noqa: E402
from djangoapp import DjangoApp  # noqa: E402

SIZES = (1000, 20000) if bl.QUICK else (1000, 100000, 1000000)
GOAL_ROWS = SIZES[1]
# In rounds: each round runs the tick PER_ROUND times with each build,
# then the Django command once; the first round is the warm-up.
DJ_REPEATS, DJ_WARMUP = (2, 1) if bl.QUICK else (7, 1)
PER_ROUND = 5
REPEATS, WARMUP = DJ_REPEATS * PER_ROUND, DJ_WARMUP * PER_ROUND

# The old application's command, as it ran every minute: every due,
# unsent report is mailed with its stored PDF and marked sent; nothing
# due, nothing done.  --explain (for this benchmark) prints its query and
# SQLite's plan for it.
COMMAND = '''\
import os

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.management.base import BaseCommand
from django.utils import timezone

from reports.models import ScheduledReport


class Command(BaseCommand):
    help = "Sends the scheduled reports that are due."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--explain", action="store_true")

    def handle(self, *args, **options):
        due = ScheduledReport.objects.filter(
            sent=False, scheduled_at__lte=timezone.now()
        ).order_by("scheduled_at")
        if options["explain"]:
            self.stdout.write(str(due.query))
            self.stdout.write(due.explain())
            return
        for report in due:
            if options["dry_run"]:
                self.stdout.write("would send %d %s" % (report.id,
                                                        report.title))
                continue
            try:
                msg = EmailMessage(
                    report.subject or report.title,
                    report.body or getattr(settings, "DEFAULT_BODY", ""),
                    getattr(settings, "DEFAULT_FROM_EMAIL", None),
                    [a.strip() for a in report.recipients.split(",")
                     if a.strip()])
                if report.pdf_path:
                    msg.attach_file(os.path.join(
                        getattr(settings, "MEDIA_ROOT", ""),
                        report.pdf_path), "application/pdf")
                msg.send()
                report.sent_at = timezone.now()
                report.last_error = ""
            except Exception as e:
                report.last_error = str(e)
            report.sent = True
            report.save()
'''


def cpu(runs):
    return bl.Stats(r.cpu for r in runs)


def schema_key(path, table):
    c = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        sql = "\n".join(r[0] or "" for r in c.execute(
            "SELECT sql FROM sqlite_master ORDER BY name"))
    finally:
        c.close()
    return hashlib.sha1((table + sql).encode()).hexdigest()[:12]


def cached(name, key, n, build):
    """The database file of n rows for key: from the cache, or built by
    build(path) and kept there (only the largest is worth keeping)."""
    os.makedirs(bl.CACHE, exist_ok=True)
    path = os.path.join(bl.CACHE, "%s-%d-%s.db" % (name, n, key))
    if os.path.exists(path):
        return path, True
    tmp = path + ".tmp"
    build(tmp)
    os.rename(tmp, path)
    return path, False


def sent_rows(n, base):
    """n reports, all sent long ago: one a minute back from base."""
    import datetime
    for i in range(1, n + 1):
        at = base - datetime.timedelta(minutes=n - i + 60)
        yield (i, "Ventes — rapport %d" % i,
               "Zoë Dupont <zoe@example.com>, ops@example.com",
               bl.utc(at), 1, bl.utc(at + datetime.timedelta(seconds=2)),
               "r%d.pdf" % i)


def fill(path, table, cols, rows):
    c = sqlite3.connect(path)
    try:
        with c:
            c.executemany("INSERT INTO %s (%s) VALUES (%s)" % (
                table, ", ".join(cols), ", ".join("?" for _ in cols)), rows)
    finally:
        c.close()


def due_query():
    """The due query as the binary runs it (report_due_ids() in
    src/report.c: report_due_sql(db, &sql, WHAT, COND, ...) makes
    "SELECT WHAT FROM the table WHERE sent = 0 AND COND"), read from the
    source so that this page follows it."""
    src = os.path.join(bl.ROOT, "src", "report.c")
    try:
        with open(src) as f:
            text = f.read()
        body = text[text.index("\nreport_due_ids("):]
        at = body.index("report_due_sql(")
        call = body[at:body.index("err)", at)]
        strings = re.findall(r'"((?:[^"\\]|\\.)*)"', call)
        what, cond = strings[0], "".join(strings[1:])
        sql = ("SELECT %s FROM \"main\".\"scheduled_reports\" WHERE "
               "sent = 0 AND %s" % (what, cond))
        if "sent" in sql and "scheduled_at" in sql:
            return sql, "src/report.c"
    except (OSError, ValueError, IndexError):
        pass
    return ("SELECT id FROM \"main\".\"scheduled_reports\" WHERE sent = 0 "
            "AND coalesce(datetime(scheduled_at) <= ?1, 1) ORDER BY "
            "NULLIF(scheduled_at, ''), id",
            "a copy (src/report.c not readable)")


def explain_sendreports(db):
    sql, origin = due_query()
    sql_now = sql.replace("?1", "'%s'" % bl.utc(bl.now_utc())).replace(
        "?", "'%s'" % bl.utc(bl.now_utc()))
    r = subprocess.run(["sqlite3", "-readonly", db,
                        "EXPLAIN QUERY PLAN " + sql_now],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise bl.BenchError("sqlite3: " + r.stderr)
    return sql, origin, r.stdout


def make_django(root):
    app = DjangoApp(os.path.join(root, "bi"))
    cmd = os.path.join(app.dir, "reports", "management", "commands")
    os.makedirs(cmd)
    for d in (os.path.dirname(cmd), cmd):
        open(os.path.join(d, "__init__.py"), "w").close()
    with open(os.path.join(cmd, "send_scheduled_reports.py"), "w") as f:
        f.write(COMMAND)
    return app


def django_check(app, template):
    """The command is real: on a copy with one due report, --dry-run
    finds it."""
    shutil.copyfile(template, app.db)
    fill(app.db, "reports_scheduledreport",
         ("title", "recipients", "subject", "body", "scheduled_at", "sent",
          "pdf_path", "report_data", "last_error"),
         [("due", "a@example.com", None, "", "2020-01-01 00:00:00", 0, "",
           "", "")])
    r = subprocess.run([bl.PYTHON, "manage.py", "send_scheduled_reports",
                        "--dry-run"], cwd=app.dir, env=bl.child_env(),
                       capture_output=True, text=True)
    if r.returncode != 0 or "would send 1 due" not in r.stdout:
        raise bl.BenchError("the Django command did not find the due "
                            "report: %s%s" % (r.stdout, r.stderr))
    r = subprocess.run([bl.PYTHON, "manage.py", "send_scheduled_reports",
                        "--explain"], cwd=app.dir, env=bl.child_env(),
                       capture_output=True, text=True)
    return r.stdout.strip()


def main():
    top = bl.workdir("idle")
    try:
        run(top)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def run(top):
    base = bl.now_utc()
    binaries = [("static", bl.STATIC_BIN)] if bl.STATIC_BIN else []
    binaries.append(("dynamic", bl.BIN))

    probe = bl.Box(os.path.join(top, "probe")).initdb()
    key = schema_key(probe.db, "scheduled_reports")
    app = make_django(top)
    dj_template = os.path.join(top, "django-empty.db")
    shutil.copyfile(app.db, dj_template)
    dj_key = schema_key(dj_template, "reports_scheduledreport")
    dj_explain = django_check(app, dj_template)

    rows_out, built = [], []
    results = {}
    for n in SIZES:
        def build_ours(path, n=n):
            shutil.copyfile(probe.db, path)
            fill(path, "scheduled_reports",
                 ("id", "title", "recipients", "scheduled_at", "sent",
                  "sent_at", "pdf_path"), sent_rows(n, base))

        def build_django(path, n=n):
            shutil.copyfile(dj_template, path)
            fill(path, "reports_scheduledreport",
                 ("id", "title", "recipients", "subject", "body",
                  "scheduled_at", "sent", "sent_at", "pdf_path",
                  "report_data", "last_error"),
                 ((i, t, r, None, "", at, 1, sa, p, "", "")
                  for i, t, r, at, _, sa, p in sent_rows(n, base)))

        ours_db, hit = cached("idle-reports", key, n, build_ours)
        dj_db, dj_hit = cached("idle-django", dj_key, n, build_django)
        built.append("%d rows: %s" % (n, "cached" if hit and dj_hit else
                                      "built"))

        box = bl.Box(os.path.join(top, "box-%d" % n)).initdb()
        shutil.copyfile(ours_db, box.db)
        shutil.copyfile(dj_db, app.db)
        sides = [(name, lambda b=binary: bl.runrss(
            box.argv("tick", binary=b), PER_ROUND, cwd=box.root))
            for name, binary in binaries]
        sides.append(("django", lambda: bl.runrss(
            [bl.PYTHON, "manage.py", "send_scheduled_reports"],
            cwd=app.dir)))
        res = bl.interleave(sides, DJ_REPEATS, DJ_WARMUP)
        if box.count("sent = 0") != 0:
            raise bl.BenchError("the tick changed the reports")
        results[n] = res
        if n == GOAL_ROWS:
            first = binaries[0][1]
            sys_counts, _ = bl.strace_counts(box.argv("tick", binary=first),
                                             cwd=box.root)
            strace_bin = binaries[0][0]
        if n == SIZES[-1]:
            sql, origin, plan = explain_sendreports(box.db)
        if n != SIZES[-1]:
            # Only the largest files are worth keeping between runs.
            for path in (ours_db, dj_db):
                os.unlink(path)
        shutil.rmtree(box.root)

        row = ["{:,}".format(n)]
        for name, _ in binaries:
            row += [bl.cell_time(bl.walls(res[name])),
                    bl.fmt_time(cpu(res[name]).median),
                    "%.1f MB" % bl.peak_mb(res[name])]
        dj = bl.walls(res["django"])
        row += [bl.cell_time(dj), "%.1f MB" % bl.peak_mb(res["django"]),
                bl.fmt_ratio(bl.ratio(dj, bl.walls(res[binaries[0][0]])))]
        rows_out.append(row)

    main_name = binaries[0][0]
    floor = bl.walls(bl.measure([bl.EMPTY], 20, 3))
    sec = bl.Section("Idle tick", """\
`sendreports -c CONF tick` with nothing due and nothing queued, on a
reports database of N rows all sent (made by `initdb`, filled in one
transaction), %d runs after %d warm-up runs for each build; the peer is
the Django command it replaces (`/usr/bin/python3 manage.py
send_scheduled_reports`: a minimal project with the old model and a
command that selects the due, unsent reports and sends each; nothing due,
it exits), %d runs after %d, on a database of the same rows. The sides
take turns: rounds of %d ticks per build and one Django run, the first
round a warm-up. Ratio: Django over the %s binary, medians (range:
worst–best pairing of the extremes). CPU: user + system time, median.
For scale: an empty static program takes %s (median) under the same
launcher on this machine. The Django project is the smallest that holds
the old model (contenttypes, auth and the app): a real one, with more
applications to load, starts slower.""" % (
        REPEATS, WARMUP, DJ_REPEATS, DJ_WARMUP, PER_ROUND, main_name,
        bl.fmt_time(floor.median)))
    headers = ["rows"]
    for name, _ in binaries:
        headers += ["%s: time" % name, "CPU", "peak RSS"]
    headers += ["Django: time", "peak RSS",
                "Django / %s" % main_name]
    sec.table(headers, rows_out)
    if not bl.STATIC_BIN:
        sec.para("The static binary was skipped: %s" %
                 (bl.STATIC_NOTE or "BENCH_STATIC=0"))
    sec.para("The due query (from %s), and SQLite's plan for it on the "
             "%s-row file (sqlite3 CLI; the binary runs it on the table "
             "itself, not through its view temp.reports):" %
             (origin, "{:,}".format(SIZES[-1])))
    sec.code(sql + "\n\n" + plan)
    sec.para("The Django command's query and plan (QuerySet.explain() on "
             "the old model, which has no index but the primary key):")
    sec.code(dj_explain)
    fsyncs = sum(sys_counts.get(s, (0, 0))[0] for s in
                 ("fsync", "fdatasync", "sync_file_range", "msync"))
    writes = sum(sys_counts.get(s, (0, 0))[0] for s in
                 ("write", "pwrite64", "writev"))
    top5 = sorted(sys_counts.items(), key=lambda kv: -kv[1][0])[:6]
    sec.para("System calls of one idle tick (%s binary, %s rows, `strace "
             "-f -c`): %d in all; %d writes (write, pwrite64, writev), %d "
             "syncs (fsync, fdatasync, sync_file_range, msync), %d "
             "openat; the most frequent: %s. Databases: %s." % (
                 strace_bin, "{:,}".format(GOAL_ROWS),
                 sum(c for c, _ in sys_counts.values()), writes, fsyncs,
                 sys_counts.get("openat", (0, 0))[0],
                 ", ".join("%s %d" % (k, v[0]) for k, v in top5),
                 "; ".join(built)))
    sec.write()

    ours = bl.walls(results[GOAL_ROWS][main_name])
    dj = bl.walls(results[GOAL_ROWS]["django"])
    r = bl.ratio(dj, ours)
    rows_k = "{:,}".format(GOAL_ROWS)
    bl.summary("idle tick, %s sent rows (%s)" % (rows_k, main_name),
               "%s, %.1f MB" % (bl.fmt_time(ours.median),
                                bl.peak_mb(results[GOAL_ROWS][main_name])),
               "Django command %s" % bl.fmt_time(dj.median),
               bl.fmt_ratio(r), "≥ 300×", r[0] >= 300)
    dyn_rss = bl.peak_mb(results[GOAL_ROWS]["dynamic"])
    bl.summary("idle tick, dynamic build's peak RSS",
               "%.1f MB" % dyn_rss, "—", "%.1f MB" % dyn_rss, "≤ 4 MB",
               dyn_rss <= 4)
    # Flat: judged on CPU time, which grows with the rows read; the wall
    # time of an idle tick also holds its syncs' waits on a shared disk.
    small = results[SIZES[0]][main_name]
    large = results[SIZES[-1]][main_name]
    flat = cpu(large).median / cpu(small).median
    bl.summary("idle tick, %s → %s rows (%s)" % (
        "{:,}".format(SIZES[0]), "{:,}".format(SIZES[-1]), main_name),
        "CPU %s → %s (wall %s → %s)" % (
            bl.fmt_time(cpu(small).median), bl.fmt_time(cpu(large).median),
            bl.fmt_time(bl.walls(small).median),
            bl.fmt_time(bl.walls(large).median)),
        "—", "CPU %.2f×" % flat, "flat (CPU ≤ 1.5×)", flat <= 1.5)


if __name__ == "__main__":
    main()
