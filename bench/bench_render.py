"""The fallback PDF: `sendreports render ID -o FILE` for a 5-column table of
1,000, 10,000 and 100,000 rows, whole process (start, database, JSON,
layout, file), time and peak RSS; against reportlab (Debian's
python3-reportlab, bench/peer_reportlab.py) drawing the same table with
the same layout elements (title, generation time, header repeated on
every page, right-aligned numbers, "page i / n") in one process, from the
same JSON.  At 1,000 rows the two take turns; reportlab, whose table
layout grows faster than linearly, runs once at 10,000 rows and not at
100,000 (minutes).
"""
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib as bl  # noqa: E402

SIZES = (1000, 5000) if bl.QUICK else (1000, 10000, 100000)
# (repeats, warmup) of sendreports per size; at 1,000 rows in rounds of
# ROUND renders and one reportlab run.
REPEATS = {1000: (10, 2), 5000: (2, 1), 10000: (3, 1), 100000: (3, 1)}
ROUND = 2
RL_REPEATS = 2 if bl.QUICK else 7
RL_ONCE = SIZES[1]


def report_data(n):
    return {"title": "Grand livre — %d lignes" % n,
            "columns": ["N°", "Date", "Libellé", "Débit", "Crédit"],
            "rows": [[k, "2026-10-%02d" % (k % 28 + 1),
                      "Écriture comptable n° %d — été" % k, k * 1.25,
                      None if k % 3 else k * 0.5] for k in range(n)]}


def pages(path):
    r = subprocess.run(["pdfinfo", path], capture_output=True, text=True)
    for line in r.stdout.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    raise bl.BenchError("pdfinfo %s: %s" % (path, r.stderr))


def main():
    top = bl.workdir("render")
    try:
        run(top)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def run(top):
    box = bl.Box(os.path.join(top, "box")).initdb()
    files = {}
    for i, n in enumerate(SIZES, 1):
        text = json.dumps(report_data(n), ensure_ascii=False)
        files[n] = os.path.join(top, "data-%d.json" % n)
        with open(files[n], "w", encoding="utf-8") as f:
            f.write(text)
        box.insert([{"id": i, "title": "Grand livre", "recipients":
                     "a@example.com", "scheduled_at": "2026-11-23 07:00:00",
                     "report_data": text}])
    out = os.path.join(top, "out.pdf")
    rl_out = os.path.join(top, "rl.pdf")
    builds = [("static", bl.STATIC_BIN)] if bl.STATIC_BIN else []
    builds.append(("dynamic", bl.BIN))
    main = builds[0][0]

    def ours(binary, i, count):
        return lambda: bl.runrss(box.argv("render", str(i), "-o", out,
                                          binary=binary),
                                 count, cwd=box.root)

    def reportlab(n):
        return lambda: bl.runrss([bl.PYTHON, os.path.join(
            HERE, "peer_reportlab.py"), files[n], rl_out])

    res, info = {}, {}
    for i, n in enumerate(SIZES, 1):
        repeats, warmup = REPEATS[n]
        if n == SIZES[0]:
            sides = [(name, ours(b, i, ROUND)) for name, b in builds]
            sides.append(("rl", reportlab(n)))
            rounds = bl.interleave(sides, RL_REPEATS, 1)
            for name in rounds:
                res[(name, n)] = rounds[name]
        else:
            for name, b in builds:
                res[(name, n)] = ours(b, i, repeats + warmup)()[warmup:]
        info[n] = (pages(out), os.path.getsize(out),
                   os.path.getsize(files[n]))
        if n == RL_ONCE:
            res[("rl", n)] = reportlab(n)()
        if ("rl", n) in res:
            info[("rl", n)] = (pages(rl_out), os.path.getsize(rl_out))

    rows = []
    for n in SIZES:
        p, size, jsize = info[n]
        row = ["{:,}".format(n), "%d" % p]
        for name, _ in builds:
            runs = res[(name, n)]
            row += [bl.cell_time(bl.walls(runs)),
                    bl.fmt_time(bl.Stats(r.cpu for r in runs).median),
                    "%.1f MB" % bl.peak_mb(runs)]
        row.append(bl.fmt_bytes(size))
        if ("rl", n) in res:
            rl = bl.walls(res[("rl", n)])
            row += [("%s" % bl.cell_time(rl)) if len(rl) > 1 else
                    "%s (1 run)" % bl.fmt_time(rl.median),
                    "%.1f MB" % bl.peak_mb(res[("rl", n)]),
                    "%d" % info[("rl", n)][0],
                    bl.fmt_ratio(bl.ratio(rl, bl.walls(res[(main, n)])))]
        else:
            row += ["not run", "", "", ""]
        rows.append(row)
    sec = bl.Section("Fallback PDF: render", """\
`sendreports render ID -o FILE`, the whole process, for a 5-column table
(N°, date, label, two amounts, French text), against reportlab drawing
the same table with the same layout elements in one Python process
(bench/peer_reportlab.py: title, generation time, header repeated on
every page, right-aligned numbers, footer with "page i / n"), from the
same JSON. CPU: user + system time, median. At %s rows they take turns
(rounds of %d renders per build and one reportlab run, %d rounds after
one warm-up round); reportlab runs once at %s rows and not beyond (its
table layout grows faster than linearly). Ratio: reportlab over the %s
binary.""" % ("{:,}".format(SIZES[0]), ROUND, RL_REPEATS,
              "{:,}".format(RL_ONCE), main))
    headers = ["rows", "pages"]
    for name, _ in builds:
        headers += ["%s: time" % name, "CPU", "peak RSS"]
    headers += ["PDF", "reportlab: time", "peak RSS", "pages",
                "reportlab / %s" % main]
    sec.table(headers, rows)
    sec.para("report_data sizes: %s." % ", ".join(
        "%s rows %s" % ("{:,}".format(n), bl.fmt_bytes(info[n][2]))
        for n in SIZES))
    sec.write()

    n0 = SIZES[0]
    r = bl.ratio(bl.walls(res[("rl", n0)]), bl.walls(res[(main, n0)]))
    bl.summary("fallback PDF, %s-row table, whole process (%s)" % (
               "{:,}".format(n0), main),
               "%s, %.1f MB" % (bl.fmt_time(bl.walls(res[(main, n0)]).median),
                                bl.peak_mb(res[(main, n0)])),
               "reportlab %s" % bl.fmt_time(
                   bl.walls(res[("rl", n0)]).median),
               bl.fmt_ratio(r), "≥ 20× reportlab", r[0] >= 20)
    nl = SIZES[-1]
    for name, _ in builds:
        peak = bl.peak_mb(res[(name, nl)])
        bl.summary("fallback PDF, %s rows: peak RSS (%s)" % (
                   "{:,}".format(nl), name),
                   "%.1f MB, %s" % (peak, bl.fmt_time(
                       bl.walls(res[(name, nl)]).median)),
                   "—", "%.1f MB" % peak, "≤ 20 MB", peak <= 20)


if __name__ == "__main__":
    main()
