"""The tick a box runs every minute for years: when nothing is due and
nothing is queued, it reads and exits.  No write, no sync, one open of
each database, and neither libcurl's TLS nor anything else started."""
import os
import shutil
import subprocess

import pytest

from conftest import BIN, EMULATOR, run_env, now_utc
from smtpfixture import smtp_server  # noqa: F401


def snapshot(root):
    """Every file and directory under root, with what a write changes."""
    out = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            st = os.lstat(p)
            out[p] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


@pytest.mark.skipif(shutil.which("strace") is None or EMULATOR,
                    reason="needs strace and a native binary")
def test_an_idle_tick_writes_nothing_and_starts_nothing(box, smtp_server):
    srv = smtp_server()
    box.write_conf("[smtp]\nurl = %s\ntls = required\n" % srv.url)
    box.initdb()
    box.add_pdf("a.pdf")
    for i in range(50):
        box.add(pdf_path="a.pdf", sent=1, scheduled_at=now_utc(-86400 - i))
    box.add(pdf_path="a.pdf", scheduled_at=now_utc(86400))    # tomorrow
    # The first ticks may record the run (at most once an hour).
    for _ in range(2):
        r = box.run("tick")
        assert r.returncode == 0, r.stderr
    before = snapshot(box.root)
    trace = os.path.join(box.root, "..", "tick.trace")
    # LeakSanitizer cannot run under ptrace: the leak check is the other
    # tests' job.
    env = run_env()
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    r = subprocess.run(["strace", "-f", "-qq", "-o", trace, BIN, "-c",
                        box.conf, "tick"], env=env, cwd=box.root,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "" and r.stderr == ""
    assert snapshot(box.root) == before
    with open(trace) as f:
        calls = f.read().splitlines()

    def named(prefixes):
        return [c for c in calls if c.split(" ", 1)[-1].startswith(prefixes)
                and "= -1" not in c]
    assert named(("fsync(", "fdatasync(", "sync_file_range(")) == []
    assert named(("write(", "pwrite64(", "writev(", "unlink(", "rename(",
                  "renameat", "ftruncate(", "mkdir(", "link(")) == []
    opened = [c for c in calls if "openat(" in c and "= -1" not in c]
    for name in ("reports.db", "state.db"):
        assert len([c for c in opened if name + '"' in c]) == 1, name
    # Nothing of TLS or the network: no OpenSSL configuration, no CA
    # bundle read, no socket.
    assert not [c for c in opened if "openssl.cnf" in c or
                "ca-certificates" in c]
    assert not [c for c in calls if " socket(" in c or c.startswith(
        "socket(")]
    assert srv.connection_count() == 0
