"""render: time and peak memory of the fallback PDF for 1,000, 10,000 and
100,000 rows, side by side in one run, to show memory bounded by the page
count (libharu keeps pages until the file is written) and not by a copy
of the table."""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_send  # noqa: E402

BIN = os.environ["SENDREPORTS_BIN"]
ENV = {"PATH": "/usr/bin:/bin", "TZ": "UTC", "LC_ALL": "C"}


def main():
    top = tempfile.mkdtemp(prefix="bench-render-")
    try:
        old = bench_send.N
        bench_send.N = 0
        bench_send.make_box(top)
        bench_send.N = old
        with open(os.path.join(top, "sendreports.ini"), "a") as f:
            f.write("[pdf]\nmax_pages = 100000\n")
        db = sqlite3.connect(os.path.join(top, "reports.db"))
        sizes = (1000, 10000, 100000)
        json_sizes = []
        for i, n in enumerate(sizes, 1):
            data = {"title": "Grand livre — %d lignes" % n,
                    "columns": ["N°", "Date", "Libellé", "Débit", "Crédit"],
                    "rows": [[k, "2026-10-%02d" % (k % 28 + 1),
                              "Écriture comptable n° %d — été" % k,
                              k * 1.25, None] for k in range(n)]}
            text = json.dumps(data, ensure_ascii=False)
            json_sizes.append(len(text.encode()))
            db.execute("INSERT INTO scheduled_reports (id, title, "
                       "recipients, scheduled_at, report_data) VALUES "
                       "(?, 'x', 'a@example.com', '2026-11-23 07:00:00', ?)",
                       (i, text))
        db.commit()
        db.close()
        print("render: fallback PDF of a 5-column table")
        for i, n in enumerate(sizes, 1):
            out = os.path.join(top, "r%d.pdf" % i)
            t0 = time.monotonic()
            r = subprocess.run(["/usr/bin/time", "-f", "%M", BIN, "-c",
                                "sendreports.ini", "render", str(i), "-o",
                                out], cwd=top, env=ENV, capture_output=True,
                               text=True)
            wall = time.monotonic() - t0
            if r.returncode != 0:
                sys.exit("bench: render failed: " + r.stderr)
            rss = int(r.stderr.strip().splitlines()[-1])
            info = subprocess.run(["pdfinfo", out], capture_output=True,
                                  text=True).stdout
            pages = [l.split()[1] for l in info.splitlines()
                     if l.startswith("Pages:")][0]
            print("  %7d rows  %5s pages  %6.2f s  %6.1f MB peak RSS  "
                  "%6.1f MB PDF  (report_data %.1f MB)"
                  % (n, pages, wall, rss / 1024,
                     os.path.getsize(out) / 1e6, json_sizes[i - 1] / 1e6))
    finally:
        shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    main()
