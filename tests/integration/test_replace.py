"""The reports database is the sync job's: it may rename a fresh copy over
the file at any instant, even right after a run was killed in the middle
of a write.  A journal left by the killed run belongs to the old file and
must never be played into the new one."""
import os
import random
import signal
import sqlite3
import subprocess
import time

from conftest import COLUMNS, NOW_ARG, run_env

ROUNDS = int(os.environ.get("SENDREPORTS_REPLACE_ROUNDS", "200"))
N = 60


def make_copy(path, n, rng=None):
    """The sync job's fresh copy: only the table, every report unsent, in
    the default rollback-journal mode, written aside then renamed over.
    Each copy differs (more rows, other sizes), as the application's data
    moves on: a journal of an earlier copy does not fit it."""
    rng = rng or random.Random(0)
    tmp = path + ".sync"
    if os.path.exists(tmp):
        os.unlink(tmp)
    c = sqlite3.connect(tmp)
    cols = ", ".join("%s %s" % (k, "INTEGER PRIMARY KEY" if k == "id" else
                                "INTEGER NOT NULL DEFAULT 0" if k == "sent"
                                else "TEXT") for k in COLUMNS)
    c.execute("CREATE TABLE scheduled_reports (%s)" % cols)
    c.executemany("INSERT INTO scheduled_reports (id, title, recipients, "
                  "scheduled_at, pdf_path) VALUES (?, ?, 'a@example.com', "
                  "'2026-11-23 07:00:00', 'a.pdf')",
                  [(i, "R%d" % i) for i in range(1, n + 1)])
    c.executemany("INSERT INTO scheduled_reports (id, title, recipients, "
                  "scheduled_at, sent, report_data) VALUES (?, 'old', "
                  "'a@example.com', '2026-01-01 00:00:00', 1, ?)",
                  [(n + 1 + i, "x" * rng.randrange(10, 3000))
                   for i in range(rng.randrange(0, 200))])
    c.commit()
    c.close()
    os.rename(tmp, path)


def integrity(path):
    """PRAGMA integrity_check on a private copy of the file alone, so that
    no journal beside it is played into it by the check itself."""
    copy = path + ".check"
    with open(path, "rb") as f, open(copy, "wb") as g:
        g.write(f.read())
    c = sqlite3.connect("file:%s?immutable=1" % copy, uri=True)
    try:
        return c.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        c.close()
        os.unlink(copy)


def test_kill_then_replace_never_plays_a_stale_journal(box):
    box.add_pdf("a.pdf", size=4000)
    make_copy(box.db, N)
    box.initdb()
    rng = random.Random(int(os.environ.get("SENDREPORTS_SEED", "1123")))
    kills = stale = 0
    for _ in range(ROUNDS):
        p = subprocess.Popen(box.cmd("send", "--now", NOW_ARG),
                             env=run_env(), cwd=box.root,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.0, 0.05))
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            kills += 1
        _, err = p.communicate(timeout=120)
        assert b"malformed" not in err, err
        assert integrity(box.db) == "ok"
        if any(os.path.exists(box.db + s) for s in ("-journal", "-wal")):
            stale += 1
        # Most rounds the sync job replaces the file; in the others the
        # journal is this file's own, and SQLite must roll it back.
        if rng.random() < 0.7:
            make_copy(box.db, N, rng)
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert integrity(box.db) == "ok"
    assert kills > 0
    # Each report exactly once, whatever the kills and the copies did.
    assert sorted(box.queue()) == sorted(
        "r%d.20261123T070000Z" % i for i in range(1, N + 1))
    assert all(r["sent"] == 1 for r in box.rows().values())
    assert box.tmp_files() == []
    print("%d rounds, %d kills, %d left a journal" % (ROUNDS, kills, stale))


def test_schedule_after_a_killed_send_and_a_replaced_file(box):
    """schedule is the first to open the file the sync job put in place of
    the one a killed send was writing: it must not play that journal."""
    box.add_pdf("a.pdf", size=4000)
    make_copy(box.db, N)
    box.initdb()
    rng = random.Random(int(os.environ.get("SENDREPORTS_SEED", "1124")))
    # Every report spooled once; then how long a run that only marks them
    # sent again takes here (an emulated binary starts ten times slower):
    # the kills fall within it.
    assert box.run("send", "--now", NOW_ARG).returncode == 0
    make_copy(box.db, N)
    start = time.monotonic()
    assert box.run("send", "--now", NOW_ARG).returncode == 0
    window = max(0.05, 1.5 * (time.monotonic() - start))
    make_copy(box.db, N)
    stale = 0
    for i in range(60):
        p = subprocess.Popen(box.cmd("send", "--now", NOW_ARG),
                             env=run_env(), cwd=box.root,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.0, window))
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
        _, err = p.communicate(timeout=120)
        assert b"malformed" not in err, err
        if os.path.exists(box.db + "-journal"):
            stale += 1
        make_copy(box.db, N, rng)
        r = box.run("schedule", "--to", "b@example.com", "--at",
                    "2026-11-24 08:00", "--data", "-", input="{}")
        assert r.returncode == 0, r.stderr
        assert integrity(box.db) == "ok"
    assert stale > 0
