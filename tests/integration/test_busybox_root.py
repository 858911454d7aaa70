"""The static binary on a bare box: a root directory holding only Debian's
busybox-static, what `make install-busybox` installs (scripts/install.sh)
and a configuration, entered with chroot.  No libc, no zoneinfo, no CA
bundle, no /proc: the init script, the crontab line and the network-up
hooks run there against the SMTP server on loopback, names resolved
through the box's /etc/hosts by musl.

SENDREPORTS_STATIC_BIN names the static binary for this machine's
architecture (make check-cross sets it)."""
import email
import email.policy
import json
import os
import shutil
import stat
import subprocess
import time

import pytest

from conftest import insert_report, kill_from_pidfile, now_utc, wait_for
from smtpfixture import smtp_pki, smtp_server  # noqa: F401

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
STATIC = os.environ.get("SENDREPORTS_STATIC_BIN")
BUSYBOX = shutil.which("busybox")
CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"

pytestmark = [
    pytest.mark.skipif(not STATIC, reason="SENDREPORTS_STATIC_BIN is not "
                       "set (make check-cross builds and sets it)"),
    pytest.mark.skipif(BUSYBOX is None,
                       reason="busybox (busybox-static) missing"),
    pytest.mark.skipif(os.geteuid() != 0, reason="chroot needs root"),
]

DATA = {"title": "Ventes — octobre", "columns": ["Produit", "Montant"],
        "rows": [["Café", 345.5], ["Thé", 210]]}


class Root:
    """A BusyBox root directory, and commands run inside it.  With uid,
    its /etc/passwd has the user sendreports (uid, gid uid) before
    install.sh fills it."""

    def __init__(self, path, uid=None):
        self.path = str(path)
        if uid is not None:
            os.makedirs(self.p("etc"))
            with open(self.p("etc/passwd"), "w") as f:
                f.write("root:x:0:0:root:/root:/bin/sh\n"
                        "sendreports:x:%d:%d::/var/lib/sendreports:"
                        "/bin/false\n" % (uid, uid))
        env = dict(os.environ, DESTDIR=self.path)
        r = subprocess.run(["sh", "scripts/install.sh", "busybox", STATIC],
                           cwd=TOP, env=env, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        os.makedirs(self.p("bin"))
        shutil.copy(BUSYBOX, self.p("bin/busybox"))
        for d in ("dev", "tmp", "var/run", "var/lib/sendreports/pdf",
                  "var/spool"):
            os.makedirs(self.p(d), exist_ok=True)
        os.chmod(self.p("tmp"), 0o1777)
        try:
            os.mknod(self.p("dev/null"), 0o666 | stat.S_IFCHR,
                     os.makedev(1, 3))
        except PermissionError:
            pytest.skip("mknod is not allowed here")
        # As on a box, where the daemon's user opens it too (the umask
        # took mknod's write bits).
        os.chmod(self.p("dev/null"), 0o666)
        r = subprocess.run([CHROOT, self.path, "/bin/busybox", "--install",
                            "-s", "/bin"], capture_output=True, text=True)
        if r.returncode != 0 and "not permitted" in r.stderr:
            pytest.skip("chroot is not allowed here: " + r.stderr)
        assert r.returncode == 0, r.stderr
        with open(self.p("etc/hosts"), "w") as f:
            f.write("127.0.0.1\tlocalhost mail.box.test\n")
        self.pidfile = self.p("var/run/sendreports/sendreports.pid")
        self.db = self.p("var/lib/sendreports/reports.db")
        self.spool = self.p("var/spool/sendreports")

    def p(self, rel):
        return os.path.join(self.path, rel)

    def sh(self, command, timeout=60):
        # What a box's init gives its children: no TZ, a short PATH.
        return subprocess.run([CHROOT, self.path, "/bin/sh", "-c", command],
                              capture_output=True, text=True,
                              timeout=timeout,
                              env={"PATH": "/bin:/sbin:/usr/bin:/usr/sbin"})

    def configure(self, smtp, interval=None):
        """The installed configuration, with these [smtp] lines added to
        those of earlier calls (its own url and tls taken out)."""
        if not hasattr(self, "base"):
            with open(self.p("etc/sendreports.ini")) as f:
                self.base = "".join(
                    l.replace("syslog = yes", "syslog = no") for l in f
                    if not l.startswith(("url =", "tls =")))
            self.smtp = ""
        self.smtp += smtp
        with open(self.p("etc/sendreports.ini"), "w") as f:
            f.write(self.base.replace("[smtp]\n", "[smtp]\n" + self.smtp, 1))
        if interval is not None:
            os.makedirs(self.p("etc/default"), exist_ok=True)
            with open(self.p("etc/default/sendreports"), "w") as f:
                f.write("INTERVAL=%d\n" % interval)

    def add_report(self, **cols):
        row = {"title": "Ventes", "recipients": "Zoë <zoe@example.com>",
               "scheduled_at": now_utc(-5), "report_data": json.dumps(DATA)}
        row.update(cols)
        return insert_report(self.db, row)

    def queue(self):
        q = os.path.join(self.spool, "queue")
        return sorted(os.listdir(q)) if os.path.isdir(q) else []

    def pid(self):
        try:
            with open(self.pidfile) as f:
                return int(f.read())
        except (FileNotFoundError, ValueError):
            return None


@pytest.fixture
def root(tmp_path):
    r = Root(tmp_path / "root")
    yield r
    kill_from_pidfile(r.pid())


def plain_box(root, smtp_server, interval=60):
    srv = smtp_server()
    root.configure("url = smtp://mail.box.test:%d\ntls = none\n" % srv.port,
                   interval)
    r = root.sh("sendreports initdb")
    assert r.returncode == 0, r.stdout + r.stderr
    return srv


def the_pdf(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    [part] = [p for p in msg.walk()
              if p.get_content_type() == "application/pdf"]
    return msg, part.get_content()


def test_init_script_runs_the_daemon_on_a_bare_box(root, smtp_server):
    srv = plain_box(root, smtp_server, interval=1)
    r = root.sh("/etc/init.d/S90sendreports start")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Starting sendreports: OK" in r.stdout
    pid = root.pid()
    assert pid
    r = root.sh("/etc/init.d/S90sendreports status")
    assert r.returncode == 0 and "running (pid %d)" % pid in r.stdout
    # A report without a stored PDF: rendered on the box, with no fonts
    # and no zoneinfo but what the binary carries.
    root.add_report(timezone="Europe/Paris")
    assert wait_for(lambda: len(srv.messages()) == 1)
    sender, rcpts, raw = srv.messages()[0]
    assert rcpts == ["zoe@example.com"]
    msg, pdf = the_pdf(raw)
    assert pdf.startswith(b"%PDF-")
    assert msg["To"] == "Zoë <zoe@example.com>"
    r = root.sh("/etc/init.d/S90sendreports stop")
    assert r.returncode == 0 and "Stopping sendreports: OK" in r.stdout
    assert wait_for(lambda: not os.path.exists("/proc/%d" % pid), 5)
    r = root.sh("/etc/init.d/S90sendreports status")
    assert r.returncode == 3
    assert os.listdir(os.path.join(root.spool, "tmp")) == []
    assert len(srv.messages()) == 1


def test_crontab_line_ticks_on_a_bare_box(root, smtp_server):
    srv = plain_box(root, smtp_server)
    with open(root.p("usr/share/sendreports/crontab.busybox")) as f:
        [line] = [l for l in f if l.strip() and not l.startswith("#")]
    command = " ".join(line.split()[5:])
    root.add_report()
    r = root.sh(command)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "" and r.stderr == ""      # crond mails nothing
    assert len(srv.messages()) == 1 and root.queue() == []
    r = root.sh("sendreports queue")
    assert r.returncode == 0 and r.stdout == ""


def test_network_up_hooks_on_a_bare_box(root, smtp_server):
    srv = plain_box(root, smtp_server, interval=3600)
    # No daemon: udhcpc's lease starts a flush in the background.
    root.add_report()
    assert root.sh("sendreports send").returncode == 0
    assert len(root.queue()) == 1
    r = root.sh("/usr/share/udhcpc/default.script.d/sendreports bound")
    assert r.returncode == 0, r.stderr
    assert wait_for(lambda: len(srv.messages()) == 1)
    assert wait_for(lambda: root.queue() == [])
    # A daemon that will not tick for an hour: ifupdown's hook wakes it.
    r = root.sh("/etc/init.d/S90sendreports start")
    assert r.returncode == 0, r.stdout + r.stderr
    time.sleep(0.5)
    root.add_report(title="Stock")
    assert root.sh("sendreports send").returncode == 0
    assert len(root.queue()) == 1
    r = root.sh("IFACE=eth0 /etc/network/if-up.d/sendreports")
    assert r.returncode == 0, r.stderr
    assert wait_for(lambda: len(srv.messages()) == 2)
    assert root.sh("/etc/init.d/S90sendreports stop").returncode == 0


def test_tls_on_a_box_without_a_ca_bundle(root, smtp_server, smtp_pki):
    srv = smtp_server(tls="starttls", pki=smtp_pki)
    assert not os.path.exists(root.p("etc/ssl"))
    # No ca_file and no bundle on the box: the built-in one is used, and
    # verification is not skipped: it refuses the test CA's certificate.
    root.configure("url = smtp://localhost:%d\ntls = required\n" % srv.port)
    assert root.sh("sendreports initdb").returncode == 0
    r = root.sh("sendreports check --smtp")
    assert r.returncode == 78, r.stdout + r.stderr
    assert "the built-in CA bundle" in r.stdout
    assert "no CA bundle" not in r.stdout + r.stderr
    root.add_report()
    r = root.sh("sendreports tick")
    assert r.returncode == 78, r.stderr
    assert srv.messages() == [] and len(root.queue()) == 1
    # The box's own CA file: verified by name, delivered.
    os.makedirs(root.p("etc/ssl"))
    shutil.copy(smtp_pki.ca, root.p("etc/ssl/relay-ca.pem"))
    root.configure("ca_file = /etc/ssl/relay-ca.pem\n")
    r = root.sh("sendreports check --smtp")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "certificate verified against ca_file" in r.stdout
    r = root.sh("sendreports flush --force")
    assert r.returncode == 0, r.stderr
    assert len(srv.messages()) == 1 and root.queue() == []


UID = 4242


@pytest.fixture
def user_root(tmp_path):
    r = Root(tmp_path / "root", uid=UID)
    yield r
    kill_from_pidfile(r.pid())


def owners(top):
    """The uids of everything under top."""
    found = set()
    for d, dirs, files in os.walk(top):
        for n in dirs + files:
            found.add(os.lstat(os.path.join(d, n)).st_uid)
    return found


def test_init_script_runs_the_daemon_as_its_user(user_root, smtp_server):
    root = user_root
    # install.sh gave the state directories to the root's user.
    for d in ("var/lib/sendreports", "var/lib/sendreports/pdf",
              "var/spool/sendreports"):
        assert os.stat(root.p(d)).st_uid == UID, d
    srv = plain_box(root, smtp_server, interval=1)
    # initdb ran as root: what it made in the user's spool is the user's.
    assert owners(root.spool) == {UID}
    # The database, as the README says.
    r = root.sh("chown -R sendreports /var/lib/sendreports")
    assert r.returncode == 0, r.stderr
    r = root.sh("/etc/init.d/S90sendreports start")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "runs as root" not in r.stdout
    pid = root.pid()
    assert pid
    with open("/proc/%d/status" % pid) as f:
        uids = [l.split()[1:] for l in f if l.startswith("Uid:")][0]
    assert uids == [str(UID)] * 4
    assert os.stat(os.path.dirname(root.pidfile)).st_uid == UID
    root.add_report()
    assert wait_for(lambda: len(srv.messages()) == 1)
    r = root.sh("/etc/init.d/S90sendreports stop")
    assert r.returncode == 0, r.stdout + r.stderr
    # No daemon: udhcpc's hook flushes as the user, not as root.
    root.add_report(title="Stock")
    # Root would leave its files in the user's spool: refused, with the
    # fix, and nothing written.
    r = root.sh("sendreports send")
    assert r.returncode == 78, r.stderr
    assert "set [run] user = sendreports" in r.stderr
    assert root.queue() == []
    with open(root.p("etc/sendreports.ini"), "a") as f:
        f.write("[run]\nuser = sendreports\n")
    r = root.sh("sendreports send")
    assert r.returncode == 0, r.stderr
    assert len(root.queue()) == 1
    r = root.sh("/usr/share/udhcpc/default.script.d/sendreports bound")
    assert r.returncode == 0, r.stderr
    assert wait_for(lambda: len(srv.messages()) == 2)
    assert wait_for(lambda: root.queue() == [])
    assert owners(root.spool) == {UID}
