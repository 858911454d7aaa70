"""The files of etc/ that run sendreports on a box, run by BusyBox's own
sh, start-stop-daemon and kill (Debian's busybox-static): the init script,
the network-up hook, the crontab line."""
import os
import shutil
import subprocess
import time

import pytest

from conftest import now_utc, wait_for
from smtpfixture import smtp_server  # noqa: F401

HERE = os.path.dirname(os.path.abspath(__file__))
ETC = os.path.join(HERE, "..", "..", "etc")
BUSYBOX = shutil.which("busybox")
APPLETS = ["sh", "start-stop-daemon", "kill", "sleep", "cat", "rm",
           "printf", "echo", "test", "["]

pytestmark = [
    pytest.mark.skipif(BUSYBOX is None,
                       reason="busybox (busybox-static) missing"),
    pytest.mark.skipif(bool(os.environ.get("SENDREPORTS_EMULATOR")),
                       reason="start-stop-daemon runs the binary itself: "
                       "a foreign one needs binfmt_misc, not qemu-user"),
]


class Busybox:
    """A PATH of BusyBox applets only, and /etc/default/sendreports."""

    def __init__(self, box, interval):
        self.box = box
        self.bin = os.path.join(box.root, "bb")
        os.makedirs(self.bin)
        for a in APPLETS:
            os.symlink(BUSYBOX, os.path.join(self.bin, a))
        os.makedirs(os.path.join(box.root, "run"))
        self.pidfile = os.path.join(box.root, "run", "sendreports.pid")
        self.defaults = os.path.join(box.root, "default")
        with open(self.defaults, "w") as f:
            f.write("SENDREPORTS=%s\nCONFIG=%s\nPIDFILE=%s\nINTERVAL=%d\n"
                    % (os.environ["SENDREPORTS_BIN"], box.conf,
                       self.pidfile, interval))

    def run(self, script, *args, env=None):
        e = {"PATH": self.bin, "SENDREPORTS_DEFAULTS": self.defaults}
        e.update(env or {})
        return subprocess.run([os.path.join(self.bin, "sh"),
                               os.path.join(ETC, script)] + list(args),
                              capture_output=True, text=True, env=e,
                              timeout=90, cwd=self.box.root)

    def pid(self):
        try:
            with open(self.pidfile) as f:
                return int(f.read())
        except FileNotFoundError:
            return None


@pytest.fixture
def busybox_box(box, smtp_server):
    srv = smtp_server()
    box.write_conf("[smtp]\nurl = %s\ntls = none\ntimeout = 3\n" % srv.url)
    box.initdb()
    made = []

    def make(interval):
        bb = Busybox(box, interval)
        made.append(bb)
        return bb
    yield box, srv, make
    for bb in made:
        pid = bb.pid()
        if pid:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass


def test_init_script_start_status_stop(busybox_box):
    box, srv, make = busybox_box
    bb = make(1)
    r = bb.run("init.d/S90sendreports", "start")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Starting sendreports: OK" in r.stdout
    pid = bb.pid()
    assert pid
    r = bb.run("init.d/S90sendreports", "status")
    assert r.returncode == 0 and "is running (pid %d)" % pid in r.stdout
    # Started twice: still one daemon.
    r = bb.run("init.d/S90sendreports", "start")
    assert r.returncode == 0 and bb.pid() == pid
    # It works: a due report is delivered by the daemon's tick.
    box.add_pdf("a.pdf")
    box.add(pdf_path="a.pdf", scheduled_at=now_utc(-5))
    assert wait_for(lambda: len(srv.messages()) == 1)
    r = bb.run("init.d/S90sendreports", "reload")
    assert r.returncode == 0
    r = bb.run("init.d/S90sendreports", "stop")
    assert r.returncode == 0 and "Stopping sendreports: OK" in r.stdout
    assert not os.path.exists(bb.pidfile)
    r = bb.run("init.d/S90sendreports", "status")
    assert r.returncode == 3 and "not running" in r.stdout
    assert box.tmp_files() == []


def test_network_up_hook_signals_the_daemon(busybox_box):
    box, srv, make = busybox_box
    bb = make(3600)     # no tick for an hour: only the hook can flush
    r = bb.run("init.d/S90sendreports", "start")
    assert r.returncode == 0, r.stdout + r.stderr
    time.sleep(0.5)
    box.add_pdf("a.pdf")
    box.add(pdf_path="a.pdf", scheduled_at=now_utc(-5))
    assert box.run("send").returncode == 0
    assert len(box.queue()) == 1
    r = bb.run("sendreports-network-up")
    assert r.returncode == 0, r.stderr
    assert wait_for(lambda: len(srv.messages()) == 1)
    bb.run("init.d/S90sendreports", "stop")


def test_network_up_hook_flushes_without_a_daemon(busybox_box):
    box, srv, make = busybox_box
    bb = make(60)
    box.add_pdf("a.pdf")
    box.add(pdf_path="a.pdf", scheduled_at=now_utc(-5))
    assert box.run("send").returncode == 0
    r = bb.run("sendreports-network-up")
    assert r.returncode == 0, r.stderr
    assert wait_for(lambda: len(srv.messages()) == 1)
    assert wait_for(lambda: box.queue() == [])
    # The ifupdown wrapper ignores the loopback interface.
    r = bb.run("network/if-up.d/sendreports", env={"IFACE": "lo"})
    assert r.returncode == 0


def test_busybox_crontab_line_ticks(busybox_box):
    box, srv, make = busybox_box
    bb = make(60)
    with open(os.path.join(ETC, "crontab.busybox")) as f:
        [line] = [l for l in f if l.strip() and not l.startswith("#")]
    fields = line.split()
    assert fields[:5] == ["*"] * 5
    command = " ".join(fields[5:]).replace(
        "/usr/bin/sendreports", os.environ["SENDREPORTS_BIN"]).replace(
        "/etc/sendreports.ini", box.conf)
    box.add_pdf("a.pdf")
    box.add(pdf_path="a.pdf", scheduled_at=now_utc(-5))
    r = subprocess.run([os.path.join(bb.bin, "sh"), "-c", command],
                       capture_output=True, text=True, timeout=60,
                       env={"PATH": bb.bin})
    assert r.returncode == 0, r.stderr
    assert r.stdout == "" and r.stderr == ""     # cron mails nothing
    assert len(srv.messages()) == 1
