"""The files of etc/ that run sendreports on a box, run by BusyBox's own
sh, start-stop-daemon and kill (Debian's busybox-static): the init script,
the network-up hooks (ifupdown, NetworkManager), the crontab line."""
import os
import shutil
import subprocess
import time

import pytest

from conftest import kill_from_pidfile, now_utc, wait_for
from smtpfixture import smtp_server  # noqa: F401

HERE = os.path.dirname(os.path.abspath(__file__))
ETC = os.path.join(HERE, "..", "..", "etc")
BUSYBOX = shutil.which("busybox")
APPLETS = ["sh", "start-stop-daemon", "kill", "sleep", "cat", "rm",
           "printf", "echo", "test", "[", "id", "mkdir", "chown"]
# A user no machine has: the init script must keep root, and say so.
NO_USER = "no-such-sendreports-user"

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
                    "DAEMON_USER=%s\n"
                    % (os.environ["SENDREPORTS_BIN"], box.conf,
                       self.pidfile, interval, NO_USER))

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
        kill_from_pidfile(bb.pid())


def test_init_script_start_status_stop(busybox_box):
    box, srv, make = busybox_box
    bb = make(1)
    r = bb.run("init.d/S90sendreports", "start")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Starting sendreports: OK" in r.stdout
    # Without its user, the daemon keeps root, and the script says so.
    assert "no user %s in /etc/passwd: the daemon runs as root" % NO_USER \
        in r.stdout
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


def networkmanager_hook(tmp_path):
    """etc/'s NetworkManager hook, calling etc/'s network-up helper."""
    with open(os.path.join(ETC, "NetworkManager", "dispatcher.d",
                           "90-sendreports")) as f:
        text = f.read()
    helper = "/usr/share/sendreports/sendreports-network-up"
    assert helper in text
    hook = str(tmp_path / "90-sendreports")
    with open(hook, "w") as f:
        f.write(text.replace(helper, os.path.join(
            os.path.abspath(ETC), "sendreports-network-up")))
    return hook


def test_networkmanager_hook_flushes_when_the_network_is_up(busybox_box,
                                                           tmp_path):
    box, srv, make = busybox_box
    bb = make(60)
    hook = networkmanager_hook(tmp_path)
    box.add_pdf("a.pdf")
    box.add(pdf_path="a.pdf", scheduled_at=now_utc(-5))
    assert box.run("send").returncode == 0

    def dispatch(*args, state=None):
        env = {"PATH": bb.bin, "SENDREPORTS_DEFAULTS": bb.defaults}
        if state:
            env["CONNECTIVITY_STATE"] = state
        r = subprocess.run([os.path.join(bb.bin, "sh"), hook] + list(args),
                           capture_output=True, text=True, env=env,
                           timeout=30)
        assert r.returncode == 0, r.stderr
    # Events that say nothing of a way out: no flush.
    dispatch("lo", "up")
    dispatch("eth0", "down")
    dispatch("", "connectivity-change", state="LIMITED")
    time.sleep(1)
    assert srv.messages() == [] and len(box.queue()) == 1
    # Full connectivity, as after a captive portal: the queue goes out.
    dispatch("", "connectivity-change", state="FULL")
    assert wait_for(lambda: len(srv.messages()) == 1)
    assert wait_for(lambda: box.queue() == [])
    # An interface up: likewise.
    box.add(pdf_path="a.pdf", scheduled_at=now_utc(-5))
    assert box.run("send").returncode == 0
    dispatch("eth0", "up")
    assert wait_for(lambda: len(srv.messages()) == 2)


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


def run_install(kind, destdir, **paths):
    env = {k: v for k, v in os.environ.items() if k not in ("INIT", "STRIP")}
    env.update(DESTDIR=str(destdir), **paths)
    return subprocess.run(["sh", "scripts/install.sh", kind,
                           os.environ["SENDREPORTS_BIN"]],
                          cwd=os.path.join(ETC, ".."), env=env,
                          capture_output=True, text=True)


def test_install_writes_the_installed_paths_and_keeps_a_configuration(
        tmp_path):
    d = tmp_path / "dest"
    paths = {"BINDIR": "/opt/sr/bin", "SYSCONFDIR": "/opt/sr/etc",
             "DATADIR": "/opt/sr/share", "SYSTEMDDIR": "/opt/sr/systemd",
             "INIT": "systemd"}
    r = run_install("host", d, **paths)
    assert r.returncode == 0, r.stderr
    # The init script instead of the units, into a second root.
    r = run_install("host", tmp_path / "dest2", **dict(paths, INIT="busybox"))
    assert r.returncode == 0, r.stderr
    os.rename(str(tmp_path / "dest2/opt/sr/etc/init.d"),
              str(d / "opt/sr/etc/init.d"))
    root = str(d)
    assert os.access(root + "/opt/sr/bin/sendreports", os.X_OK)
    assert os.readlink(root + "/opt/sr/bin/send_scheduled_reports") == \
        "sendreports"
    with open(root + "/opt/sr/bin/send_reports.sh") as f:
        assert "exec /opt/sr/bin/send_scheduled_reports -c " \
            "/opt/sr/etc/sendreports.ini \"$@\"" in f.read()
    conf = root + "/opt/sr/etc/sendreports.ini"
    assert os.stat(conf).st_mode & 0o777 == 0o600
    for f, want in (("opt/sr/etc/init.d/S90sendreports",
                     ["SENDREPORTS=/opt/sr/bin/sendreports",
                      "CONFIG=/opt/sr/etc/sendreports.ini"]),
                    ("opt/sr/etc/network/if-up.d/sendreports",
                     ["exec /opt/sr/share/sendreports/sendreports-network-up"]),
                    ("opt/sr/etc/NetworkManager/dispatcher.d/90-sendreports",
                     ["exec /opt/sr/share/sendreports/sendreports-network-up"]),
                    ("opt/sr/systemd/sendreports.service",
                     ["ExecStart=/opt/sr/bin/sendreports -c "
                      "/opt/sr/etc/sendreports.ini daemon"]),
                    ("opt/sr/share/sendreports/sendreports.cron",
                     ["/opt/sr/bin/sendreports -c "
                      "/opt/sr/etc/sendreports.ini tick"])):
        with open(os.path.join(root, f)) as fh:
            text = fh.read()
        for w in want:
            assert w in text, (f, w)
        assert "/usr/bin/sendreports" not in text
    # The operator's configuration survives a second install.
    with open(conf, "w") as f:
        f.write("[mail]\nfrom = ops@example.com\n")
    r = run_install("host", d, **paths)
    assert r.returncode == 0 and "keeping" in r.stdout
    with open(conf) as f:
        assert f.read() == "[mail]\nfrom = ops@example.com\n"


def test_install_busybox_needs_a_root(tmp_path):
    r = run_install("busybox", "")
    assert r.returncode != 0 and "DESTDIR" in r.stderr
    r = run_install("busybox", tmp_path / "root")
    assert r.returncode == 0, r.stderr
    root = str(tmp_path / "root")
    for f in ("usr/bin/sendreports", "etc/init.d/S90sendreports",
              "etc/network/if-up.d/sendreports",
              "usr/share/udhcpc/default.script.d/sendreports",
              "usr/share/sendreports/sendreports-network-up"):
        assert os.access(os.path.join(root, f), os.X_OK), f
    assert not os.path.exists(os.path.join(root, "lib/systemd"))
