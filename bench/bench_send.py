"""send over 1,000 due reports with 50 KB stored PDFs.

Side by side in one run, on the same data:
  - sendreports send: PDF checks, MIME, durable enqueue, database marks;
  - the old path's work in Python (what send_scheduled_reports did per
    report, minus Django and SMTP): read the row, build the message with
    the standard email package, write it with fsync, mark the row sent.
Prints the wall time and peak memory of each and their ratio.
"""
import email.message
import email.policy
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

N = int(os.environ.get("BENCH_REPORTS", "1000"))
PDF_BYTES = 50 * 1024
BIN = os.environ["SENDREPORTS_BIN"]
NOW = "2026-11-23T08:00:00Z"

SCHEMA = """
CREATE TABLE scheduled_reports (
  id INTEGER PRIMARY KEY, title TEXT NOT NULL, recipients TEXT NOT NULL,
  cc TEXT, bcc TEXT, subject TEXT, body TEXT, scheduled_at TEXT NOT NULL,
  sent INTEGER NOT NULL DEFAULT 0, sent_at TEXT, pdf_path TEXT,
  report_data TEXT, schedule TEXT, timezone TEXT, last_error TEXT);
"""


def make_pdf(path, i):
    body = b"%PDF-1.4\n% bench " + str(i).encode() + b"\n"
    body += os.urandom(PDF_BYTES - len(body) - 6) + b"\n%%EOF\n"
    with open(path, "wb") as f:
        f.write(body[:PDF_BYTES])


def make_box(root):
    os.makedirs(os.path.join(root, "pdf"))
    with open(os.path.join(root, "sendreports.ini"), "w") as f:
        f.write("[database]\npath = reports.db\n[spool]\ndir = spool\n"
                "[pdf]\ndir = pdf\n[mail]\nfrom = Rapports "
                "<rapports@example.com>\ntimezone = UTC\n[log]\n"
                "syslog = no\n")
    os.chmod(os.path.join(root, "sendreports.ini"), 0o600)
    db = sqlite3.connect(os.path.join(root, "reports.db"))
    db.executescript(SCHEMA)
    for i in range(1, N + 1):
        make_pdf(os.path.join(root, "pdf", "r%d.pdf" % i), i)
        db.execute(
            "INSERT INTO scheduled_reports (id, title, recipients, cc, "
            "subject, body, scheduled_at, pdf_path) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?)",
            (i, "Ventes — rapport %d" % i,
             "Zoë Dupont <zoe@example.com>, ops@example.com",
             "direction@example.com", None, None,
             "2026-11-23 07:%02d:00" % (i % 60), "r%d.pdf" % i))
    db.commit()
    db.close()


def python_old_path(root):
    """What the Django command did per report, without Django or SMTP."""
    db = sqlite3.connect(os.path.join(root, "reports.db"))
    out = os.path.join(root, "pyspool")
    os.makedirs(out)
    rows = db.execute(
        "SELECT id, title, recipients, cc, subject, body, pdf_path FROM "
        "scheduled_reports WHERE sent = 0 AND scheduled_at <= ?",
        ("2026-11-23 08:00:00",)).fetchall()
    for rid, title, rcpts, cc, subject, body, pdf_path in rows:
        m = email.message.EmailMessage(policy=email.policy.SMTP)
        m["From"] = "Rapports <rapports@example.com>"
        m["To"] = rcpts
        if cc:
            m["Cc"] = cc
        m["Subject"] = subject or title
        m["Message-ID"] = "<r%d.bench@example.com>" % rid
        m.set_content(body or "Veuillez trouver ci-joint le rapport.")
        with open(os.path.join(root, "pdf", pdf_path), "rb") as f:
            m.add_attachment(f.read(), maintype="application",
                             subtype="pdf", filename=title + ".pdf")
        tmp = os.path.join(out, "r%d.tmp" % rid)
        with open(tmp, "wb") as f:
            f.write(m.as_bytes())
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, os.path.join(out, "r%d" % rid))
        db.execute("UPDATE scheduled_reports SET sent = 1, sent_at = "
                   "datetime('now') WHERE id = ?", (rid,))
        db.commit()
    db.close()
    return len(rows)


def timed_child(argv, cwd):
    """Runs argv under time(1): a child forked from this interpreter would
    report the interpreter's pages as its own peak."""
    t0 = time.monotonic()
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv, cwd=cwd,
                       capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin", "TZ": "UTC",
                            "LC_ALL": "C"})
    wall = time.monotonic() - t0
    if r.returncode != 0:
        sys.exit("bench: %s failed (%d): %s" % (argv, r.returncode,
                                                 r.stderr))
    return wall, int(r.stderr.strip().splitlines()[-1])


def main():
    top = tempfile.mkdtemp(prefix="bench-send-")
    try:
        a = os.path.join(top, "c")
        b = os.path.join(top, "py")
        make_box(a)
        shutil.copytree(a, b)
        conf = os.path.join(a, "sendreports.ini")

        wall_c, rss_c = timed_child(
            [BIN, "-c", conf, "send", "--now", NOW], a)
        queued = len(os.listdir(os.path.join(a, "spool", "queue")))
        if queued != N:
            sys.exit("bench: expected %d queued, found %d" % (N, queued))

        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.monotonic()
        done = python_old_path(b)
        wall_py = time.monotonic() - t0
        rss_py = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert done == N

        size = sum(os.path.getsize(os.path.join(a, "spool", "queue", f))
                   for f in os.listdir(os.path.join(a, "spool", "queue")))
        print("send: %d due reports, %d KB stored PDFs, %.1f MB queued"
              % (N, PDF_BYTES // 1024, size / 1e6))
        print("  sendreports send      %7.2f s  %6.1f ms/report  "
              "peak RSS %6.1f MB" % (wall_c, 1000 * wall_c / N,
                                     rss_c / 1024))
        print("  python email + fsync  %7.2f s  %6.1f ms/report  "
              "peak RSS %6.1f MB (interpreter included; was %.1f MB "
              "before)" % (wall_py, 1000 * wall_py / N, rss_py / 1024,
                           before / 1024))
        print("  ratio python / sendreports: %.1fx" % (wall_py / wall_c))
    finally:
        shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    main()
