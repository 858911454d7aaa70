"""The burst: N due reports with stored 50 KB PDFs, `send` into the spool.

Each repeat runs on a fresh copy of the same box (the reports database
made by initdb and N due rows, the PDFs hard-linked).  Reports a second,
syncs per report (`strace -f -c -e trace=fsync,fdatasync,msync,
sync_file_range` on one more run; sync_file_range told apart), and the
peer: this disk's bound for one durable file each, bench/durable.c
writing N files of the message's size with write + fsync + rename +
fsync(dir), in the same file system; and group commit's ceiling, the same with one fsync(dir)
per batch of SEND_BATCH_MAX files, the best a spool can do that still
syncs each file.  The three take turns, run after run.
"""
import datetime
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib as bl  # noqa: E402

N = int(os.environ.get("BENCH_REPORTS", "200" if bl.QUICK else "1000"))
PDF_BYTES = 50 * 1024
REPEATS, WARMUP = (2, 1) if bl.QUICK else (7, 1)
# The calls that wait for the disk.  sync_file_range is traced too, and
# told apart: `send` calls it with SYNC_FILE_RANGE_WRITE alone, which
# only starts the writing (a sealed message's head start on its fsync).
SYNCS = ("fsync", "fdatasync", "msync")
HINTS = ("sync_file_range",)
BATCH = 256     # SEND_BATCH_MAX, include/send_run.h


def due_rows(n, now):
    """n reports due within the last hour, each with its stored PDF."""
    for i in range(1, n + 1):
        at = now - datetime.timedelta(minutes=60, seconds=-(i % 3000))
        yield {"id": i, "title": "Ventes — rapport %d" % i,
               "recipients": "Zoë Dupont <zoe@example.com>, "
                             "ops@example.com",
               "cc": "direction@example.com", "scheduled_at": bl.utc(at),
               "sent": 0, "pdf_path": "r%d.pdf" % i}


def make_box(root, n, smtp_port=None):
    """A box with n due reports and their stored PDFs (PDF_BYTES each)."""
    box = bl.Box(root, smtp_port=smtp_port).initdb()
    for i in range(1, n + 1):
        bl.make_pdf(os.path.join(box.pdf, "r%d.pdf" % i), i, PDF_BYTES)
    box.insert(due_rows(n, bl.now_utc()))
    return box


def spool_bytes(box):
    return bl.tree_bytes(os.path.join(box.root, "spool", "queue"))


def main():
    top = bl.workdir("send")
    try:
        run(top)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def run(top):
    template = make_box(os.path.join(top, "template"), N)
    counter = [0]
    msg_bytes = [0]

    def fresh():
        counter[0] += 1
        return template.clone(os.path.join(top, "run%d" % counter[0]))

    def ours():
        box = fresh()
        runs = bl.runrss(box.argv("send"), cwd=box.root)
        done = box.count("sent = 1 AND last_error IS NULL")
        if done != N:
            raise bl.BenchError("send handled %d of %d reports" % (done, N))
        msg_bytes[0] = spool_bytes(box) / N
        shutil.rmtree(box.root)
        return runs

    def durable(batch):
        def side():
            counter[0] += 1
            d = os.path.join(top, "durable%d" % counter[0])
            os.mkdir(d)
            runs = bl.runrss([bl.DURABLE, d, N, int(msg_bytes[0]), batch])
            shutil.rmtree(d)
            return runs
        return side

    res = bl.interleave([("sendreports", ours), ("disk", durable(1)),
                         ("ceiling", durable(BATCH))], REPEATS, WARMUP)

    # Syncs per report, on one more fresh copy; then where the time goes.
    box = fresh()
    counts, _ = bl.strace_counts(box.argv("send"), cwd=box.root,
                                 syscalls=SYNCS + HINTS)
    hints = sum(counts.get(s, (0, 0))[0] for s in HINTS)
    syncs = sum(counts.get(s, (0, 0))[0] for s in SYNCS)
    per_report = syncs / N
    shutil.rmtree(box.root)
    box = fresh()
    allc, secs = bl.strace_counts(box.argv("send"), cwd=box.root)
    shutil.rmtree(box.root)
    total_calls = sum(c for c, _ in allc.values())
    by_time = sorted(secs.items(), key=lambda kv: -kv[1])[:6]
    total_secs = sum(secs.values()) or 1

    ours_rate = bl.rates(res["sendreports"], N)
    disk_rate = bl.rates(res["disk"], N)
    ceil_rate = bl.rates(res["ceiling"], N)
    r = bl.ratio(ours_rate, disk_rate)
    rc = bl.ratio(ceil_rate, disk_rate)
    rs = bl.ratio(ours_rate, ceil_rate)
    sec = bl.Section("Burst: send", """\
`sendreports -c CONF send` (%s build) over %d due reports with stored %d KB PDFs
(%.1f KB messages), each repeat on a fresh copy of the box; %d repeats
after %d warm-up. The peer is this disk's bound for one durable file
each: bench/durable.c writes %d files of the message's size with write +
fsync + rename + fsync(dir), in the same file system. For scale, group
commit's ceiling: the same files with one fsync(dir) per %d (as `send`
batches them), the most any spool gets that syncs each message file. The
three take turns.""" % (bl.MAIN_NAME, N, PDF_BYTES // 1024,
                       msg_bytes[0] / 1024, REPEATS, WARMUP, N, BATCH))
    sec.table(["side", "reports/s", "time for %d" % N, "peak RSS",
               "CPU (user+sys)"],
              [["sendreports send", bl.cell_rate(ours_rate),
                bl.cell_time(bl.walls(res["sendreports"])),
                "%.1f MB" % bl.peak_mb(res["sendreports"]),
                bl.fmt_time(bl.Stats(x.cpu for x in
                                     res["sendreports"]).median)],
               ["disk bound (durable.c)", bl.cell_rate(disk_rate),
                bl.cell_time(bl.walls(res["disk"])),
                "%.1f MB" % bl.peak_mb(res["disk"]),
                bl.fmt_time(bl.Stats(x.cpu for x in res["disk"]).median)],
               ["group commit's ceiling (durable.c, batch %d)" % BATCH,
                bl.cell_rate(ceil_rate),
                bl.cell_time(bl.walls(res["ceiling"])),
                "%.1f MB" % bl.peak_mb(res["ceiling"]),
                bl.fmt_time(bl.Stats(x.cpu for x in
                                     res["ceiling"]).median)],
               ["sendreports / disk bound", bl.fmt_ratio(r), "", "", ""],
               ["ceiling / disk bound", bl.fmt_ratio(rc), "", "", ""],
               ["sendreports / ceiling", bl.fmt_ratio(rs), "", "", ""]])
    sec.para("Syncs: %d for %d reports, %.2f per report (%s; `strace -f -c "
             "-e trace=%s`). The disk bound does 2 per file (the file, its "
             "directory). Not counted: %d sync_file_range "
             "(SYNC_FILE_RANGE_WRITE: the writing of each message started "
             "when it is sealed, not waited for; its fsync comes later)." % (
                 syncs, N, per_report, ", ".join(
                     "%s %d" % (s, counts[s][0]) for s in SYNCS
                     if s in counts) or "none",
                 ",".join(SYNCS + HINTS), hints))
    sec.para("Where the system time goes (`strace -f -c`, one more run; "
             "%d system calls, %.1f per report): %s." % (
                 total_calls, total_calls / N, ", ".join(
                     "%s %.0f%% (%d calls)" % (k, 100 * v / total_secs,
                                              allc[k][0])
                     for k, v in by_time)))
    sec.write()
    bl.summary("burst: %d due reports, %d KB PDFs, into the spool" % (
        N, PDF_BYTES // 1024),
        "%s reports/s" % bl.fmt_rate(ours_rate.median),
        "disk bound %s files/s (group commit's ceiling: %s/s, %.2f× the "
        "bound)" % (bl.fmt_rate(disk_rate.median),
                    bl.fmt_rate(ceil_rate.median), rc[0]),
        bl.fmt_ratio(r), "≥ 1.5×", r[0] >= 1.5)
    bl.summary("burst: syncs per report", "%.2f" % per_report, "—",
               "%.2f" % per_report, "≤ 1.1", per_report <= 1.1)


if __name__ == "__main__":
    main()
