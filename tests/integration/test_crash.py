"""Exactly one message per report occurrence, whatever happens: two runs
at once, and kill -9 at any instant."""
import os
import random
import signal
import subprocess
import time

from conftest import NOW_ARG, run_env


def add_many(box, n):
    box.add_pdf("a.pdf", size=2000)
    c = box.connect()
    with c:
        c.executemany(
            "INSERT INTO scheduled_reports (title, recipients, scheduled_at,"
            " pdf_path) VALUES (?, 'a@example.com', ?, 'a.pdf')",
            [("R%d" % i, "2026-11-23 07:%02d:00" % (i % 60))
             for i in range(n)])
    c.close()


def assert_exactly_one_each(box, n):
    names = box.queue()
    assert len(names) == n
    rows = box.rows()
    assert sorted(names) == sorted(
        "r%d.20261123T07%02d00Z" % (rid, (rid - 1) % 60) for rid in rows)
    assert all(r["sent"] == 1 and r["last_error"] is None
               for r in rows.values())
    assert box.tmp_files() == []


def test_two_concurrent_sends_queue_each_report_once(ready):
    add_many(ready, 200)
    procs = [subprocess.Popen(ready.cmd("send", "--now", NOW_ARG),
                              env=run_env(), cwd=ready.root,
                              stderr=subprocess.PIPE)
             for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    assert_exactly_one_each(ready, 200)


def test_sigkill_at_random_instants_loses_and_duplicates_nothing(ready):
    # Enough reports, and kills soon enough, that even an optimised
    # static build is caught in the middle of its run.
    n = 400
    add_many(ready, n)
    rng = random.Random(int(os.environ.get("SENDREPORTS_SEED", "20261123")))
    kills = 0
    for _ in range(25):
        p = subprocess.Popen(ready.cmd("send", "--now", NOW_ARG),
                             env=run_env(), cwd=ready.root,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.0, 0.08))
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            kills += 1
        p.wait(timeout=60)
    r = ready.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert kills > 0
    assert_exactly_one_each(ready, n)
