"""sendreports.exe under wine (make check-windows): what a Windows box does
with it, from initdb to a delivery, against the same loopback SMTP server
and checks as the Linux build.

The exe runs under Debian's wine64 in a WINEPREFIX made fresh for the run.
Paths are the Unix ones: wine maps them to its Z: drive.  Wine keeps no
access lists of its own: it makes them from the Unix modes (the owner,
SYSTEM, and Everyone from the "other" bits), so a configuration that is
chmod 644 is readable by Everyone for the exe, as a file open to the
Users group is on Windows."""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import time
from xml.etree import ElementTree

import pytest

import pdfgen
from conftest import NOW_ARG, Box, now_utc
from smtpfixture import smtp_server  # noqa: F401
from test_flush import attachment

WIN_BIN = os.environ.get("SENDREPORTS_WIN_BIN")
WINE = os.environ.get("SENDREPORTS_WINE", "/usr/lib/wine/wine64")
TOP = os.path.join(os.path.dirname(__file__), "..", "..")
BAT = os.path.join(TOP, "etc", "windows", "send_reports.bat")
TASK_XML = os.path.join(TOP, "etc", "windows", "sendreports-task.xml")

pytestmark = pytest.mark.skipif(
    not WIN_BIN, reason="SENDREPORTS_WIN_BIN is not set (make check-windows)")


@pytest.fixture(scope="session")
def wineprefix(tmp_path_factory):
    """One fresh WINEPREFIX for the run, made before the first test."""
    prefix = str(tmp_path_factory.mktemp("wineprefix"))
    env = wine_env(prefix)
    subprocess.run([WINE, "wineboot", "--init"], env=env,
                   capture_output=True, timeout=300)
    return prefix


def wine_env(prefix):
    # UTF-8 file names on the Linux side, as Windows' are Unicode.
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LC_ALL": "C.UTF-8",
            "HOME": os.path.dirname(prefix), "WINEPREFIX": prefix,
            "WINEDEBUG": "-all", "TZ": "UTC"}


class WineBox(Box):
    """A Box whose commands are sendreports.exe's, under wine."""

    def __init__(self, root, prefix):
        self.prefix = prefix
        super().__init__(root)

    def cmd(self, *args):
        return [WINE, WIN_BIN, "-c", self.conf] + [str(a) for a in args]

    def run(self, *args, env=None, timeout=120, input=None, argv=None,
            umask=0o077):
        e = wine_env(self.prefix)
        e.update(env or {})
        # Wine makes a new file's access list from the umask, not from
        # its folder's inheritable entries as Windows does: 077 stands
        # for a file made in a private spool.
        return subprocess.run(argv or self.cmd(*args), capture_output=True,
                              text=True, timeout=timeout, env=e,
                              input=input, cwd=self.root,
                              preexec_fn=lambda: os.umask(umask))


@pytest.fixture
def wbox(tmp_path, wineprefix):
    return WineBox(tmp_path, wineprefix)


def smtp_conf(box, srv):
    box.write_conf("[smtp]\nurl = %s\ntls = none\ntimeout = 5\n" % srv.url)


def pdf_text(tmp_path, data):
    path = os.path.join(str(tmp_path), "check.pdf")
    with open(path, "wb") as f:
        f.write(data)
    subprocess.run(["qpdf", "--check", path], check=True,
                   capture_output=True)
    return subprocess.run(["pdftotext", path, "-"], check=True,
                          capture_output=True, text=True).stdout


DATA = {"columns": ["Produit", "Qté"],
        "rows": [["Pommes", 12], ["Poires", 7], ["Prunes", 3]]}


def test_version_names_schannel(wbox):
    r = wbox.run("--version")
    assert r.returncode == 0, r.stderr
    assert "(Schannel)" in r.stdout


def test_a_stored_and_a_fallback_pdf_delivered(wbox, smtp_server, tmp_path):
    srv = smtp_server()
    smtp_conf(wbox, srv)
    r = wbox.run("initdb")
    assert r.returncode == 0, r.stderr
    stored = wbox.add_pdf("ventes.pdf", size=3000, text="Ventes stockees")
    with open(stored, "rb") as f:
        stored_bytes = f.read()
    a = wbox.add(title="Ventes", recipients="a@example.com",
                 pdf_path="ventes.pdf")
    b = wbox.add(title="Stock", recipients="b@example.com",
                 report_data=json.dumps(DATA))
    r = wbox.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert len(wbox.queue()) == 2
    rows = wbox.rows()
    assert rows[a]["sent"] == 1 and rows[b]["sent"] == 1
    r = wbox.run("queue")
    assert r.returncode == 0, r.stderr
    assert [line.split("\t")[1] for line in r.stdout.splitlines()] == \
        [str(a), str(b)]
    r = wbox.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    got = {rcpts[0]: raw for _, rcpts, raw in srv.messages()}
    assert sorted(got) == ["a@example.com", "b@example.com"]
    msg, pdf = attachment(got["a@example.com"])
    assert msg["Subject"] == "Ventes" and pdf == stored_bytes
    msg, pdf = attachment(got["b@example.com"])
    text = pdf_text(tmp_path, pdf)
    assert "Pommes" in text and "Prunes" in text and "Qté" in text
    assert wbox.queue() == []
    assert srv.connection_count() == 1
    # Nothing left behind in tmp/ (the fallback PDF was removed).
    assert wbox.tmp_files() == []
    r = wbox.run("list", "--json")
    assert r.returncode == 0, r.stderr
    listed = json.loads(r.stdout)
    assert {x["id"]: x["state"] for x in listed} == {a: "sent", b: "sent"}


def test_schedule_then_send_in_the_reports_zone(wbox, smtp_server):
    srv = smtp_server()
    smtp_conf(wbox, srv)
    assert wbox.run("initdb").returncode == 0
    data = os.path.join(wbox.root, "data.json")
    with open(data, "w") as f:
        json.dump(DATA, f)
    # 09:00 in Paris on 23 November is 08:00 UTC (CET, UTC+1): due at
    # NOW_ARG, which only the zone rules carried by the exe can tell.
    r = wbox.run("schedule", "--to", "c@example.com", "--at",
                 "2026-11-23 09:00", "--tz", "Europe/Paris", "--title",
                 "Hebdo", "--data", data)
    assert r.returncode == 0, r.stderr
    rid = int(r.stdout.strip())
    row = wbox.rows()[rid]
    assert row["scheduled_at"] == "2026-11-23 08:00:00"
    r = wbox.run("list", "--json")
    assert json.loads(r.stdout)[0]["scheduled_local"] == \
        "2026-11-23 09:00 CET"
    # In summer, CEST (UTC+2): the rule's other half.
    r = wbox.run("schedule", "--to", "c@example.com", "--at",
                 "2027-07-01 09:00", "--tz", "Europe/Paris", "--title",
                 "Ete", "--data", data)
    assert r.returncode == 0, r.stderr
    assert wbox.rows()[int(r.stdout)]["scheduled_at"] == \
        "2027-07-01 07:00:00"
    r = wbox.run("tick", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert [m[1] for m in srv.messages()] == [["c@example.com"]]


def test_render_writes_a_checked_pdf(wbox, tmp_path):
    assert wbox.run("initdb").returncode == 0
    rid = wbox.add(title="Stock", report_data=json.dumps(DATA))
    out = os.path.join(wbox.root, "stock.pdf")
    r = wbox.run("render", rid, "-o", out)
    assert r.returncode == 0, r.stderr
    with open(out, "rb") as f:
        text = pdf_text(tmp_path, f.read())
    assert "Stock" in text and "Poires" in text


def test_a_configuration_error_names_the_line(wbox):
    wbox.write_conf("[smtp]\ntimeout = soon\n")
    r = wbox.run("send", "--now", NOW_ARG)
    assert r.returncode == 78, r.stderr
    assert "line 14" in r.stderr and "timeout" in r.stderr
    assert not os.path.exists(wbox.spool)


def test_a_password_in_a_configuration_others_can_read(wbox):
    wbox.write_conf("[smtp]\nurl = smtp://127.0.0.1:25\nusername = u\n"
                    "password = secret\ntls = required\n", mode=0o644)
    r = wbox.run("send", "--now", NOW_ARG)
    assert r.returncode == 78, r.stderr
    assert "readable by Everyone" in r.stderr
    assert "icacls" in r.stderr and "/inheritance:r" in r.stderr
    assert "secret" not in r.stderr


def test_a_locked_database_loses_nothing(wbox, smtp_server):
    srv = smtp_server()
    smtp_conf(wbox, srv)
    with open(wbox.conf) as f:
        text = f.read().replace("busy_timeout_ms = 2000",
                                "busy_timeout_ms = 500")
    with open(wbox.conf, "w") as f:
        f.write(text)
    assert wbox.run("initdb").returncode == 0
    wbox.add_pdf("r.pdf")
    rid = wbox.add(pdf_path="r.pdf")
    # Another program holds the state database: a second sendreports.exe
    # cannot, so send waits busy_timeout_ms, says so, and changes nothing.
    holder = sqlite3.connect(os.path.join(wbox.spool, "state.db"),
                             isolation_level=None, timeout=1)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        t = time.monotonic()
        r = wbox.run("send", "--now", NOW_ARG)
        assert r.returncode == 75, r.stderr
        assert "locked" in r.stderr
        assert time.monotonic() - t >= 0.5
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert wbox.queue() == [] and wbox.rows()[rid]["sent"] == 0
    r = wbox.run("tick", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert len(srv.messages()) == 1 and wbox.rows()[rid]["sent"] == 1


def test_a_stored_pdf_outside_the_pdf_directory_is_refused(wbox):
    assert wbox.run("initdb").returncode == 0
    outside = os.path.join(wbox.root, "secret.pdf")
    with open(outside, "wb") as f:
        f.write(pdfgen.make_pdf("secret", 0))
    rid = wbox.add(pdf_path="../secret.pdf")
    r = wbox.run("send", "--now", NOW_ARG)
    assert r.returncode == 65, r.stderr
    assert "contains \"..\"" in r.stderr
    assert wbox.queue() == [] and wbox.rows()[rid]["sent"] == 1


def test_send_reports_bat_runs_a_tick(wbox, smtp_server):
    """The old setup's name: send_reports.bat beside sendreports.exe and
    sendreports.ini, run by cmd.exe as Task Scheduler would."""
    srv = smtp_server()
    smtp_conf(wbox, srv)
    assert wbox.run("initdb").returncode == 0
    wbox.add_pdf("r.pdf")
    rid = wbox.add(pdf_path="r.pdf", scheduled_at=now_utc(-60))
    for name, src in (("sendreports.exe", WIN_BIN),
                      ("send_reports.bat", BAT)):
        shutil.copy(src, os.path.join(wbox.root, name))
    r = wbox.run(argv=[WINE, "cmd", "/c",
                       os.path.join(wbox.root, "send_reports.bat")])
    assert r.returncode == 0, r.stdout + r.stderr
    assert [m[1] for m in srv.messages()] == [["a@example.com"]]
    assert wbox.rows()[rid]["sent"] == 1 and wbox.queue() == []


def test_the_task_definition_registers_every_minute(wbox):
    ns = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
    task = ElementTree.parse(TASK_XML).getroot()
    assert task.tag == "{%s}Task" % ns["t"]
    trigger = task.find("t:Triggers/t:TimeTrigger", ns)
    assert trigger.find("t:Repetition/t:Interval", ns).text == "PT1M"
    assert trigger.find("t:Enabled", ns).text == "true"
    assert task.find("t:Settings/t:MultipleInstancesPolicy",
                     ns).text == "IgnoreNew"
    command = task.find("t:Actions/t:Exec/t:Command", ns).text
    assert command.endswith("\\send_reports.bat")
    # Wine's Task Scheduler reads it and registers it (it keeps its own
    # copy without the action: its task service is partial).
    # (Another name than the README's install, which registers its own
    # in the same wine prefix.)
    r = wbox.run(argv=[WINE, "schtasks", "/create", "/tn", "sendreports-t",
                       "/xml", TASK_XML])
    assert r.returncode == 0, r.stdout + r.stderr
    assert os.path.isfile(os.path.join(wbox.prefix, "drive_c", "windows",
                                       "system32", "tasks", "sendreports-t"))


def test_a_spool_open_to_others_is_refused_then_made_private(wbox):
    """What wine can express of an access list: "other" bits become
    Everyone.  send refuses such a spool and says how to fix it; initdb
    fixes it (SetFileSecurityW), as chmod does on Linux."""
    r = wbox.run("initdb", umask=0o022)
    assert r.returncode == 0, r.stderr
    os.chmod(os.path.join(wbox.spool, "state.db"), 0o644)
    r = wbox.run("send", "--now", NOW_ARG, umask=0o022)
    assert r.returncode == 78, r.stderr
    assert "state.db' is readable by Everyone" in r.stderr
    assert "icacls" in r.stderr
    r = wbox.run("initdb", umask=0o022)
    assert r.returncode == 0, r.stderr
    assert not os.stat(os.path.join(wbox.spool, "state.db")).st_mode & 0o7
    r = wbox.run("send", "--now", NOW_ARG, umask=0o022)
    assert r.returncode == 0, r.stderr


def test_the_readme_install_commands(wbox, smtp_server):
    """README "On Windows": its two commands, run by wine's cmd in a folder
    holding the four files; then the installed send_reports.bat ticks."""
    with open(os.path.join(TOP, "README.md")) as f:
        text = f.read()
    section = re.search(r"^## On Windows\n(.*?)(?=^## )", text,
                        re.M | re.S).group(1)
    lines = re.search(r"```bat\n(.*?)```", section, re.S).group(1)
    commands = [line for line in lines.splitlines() if line.strip()]
    assert len(commands) == 2
    srv = smtp_server()
    folder = os.path.join(wbox.root, "unpacked")
    os.mkdir(folder)
    for name, src in (("sendreports.exe", WIN_BIN),
                      ("send_reports.bat", BAT),
                      ("sendreports-task.xml", TASK_XML)):
        shutil.copy(src, os.path.join(folder, name))
    db = os.path.join(wbox.root, "reports.db")
    with open(os.path.join(folder, "sendreports.ini"), "w") as f:
        f.write("[database]\npath = %s\n[mail]\nfrom = r@example.com\n"
                "timezone = UTC\n[smtp]\nurl = %s\ntls = none\n[log]\n"
                "syslog = no\n" % (db, srv.url))
    os.chmod(os.path.join(folder, "sendreports.ini"), 0o600)
    for command in commands:
        r = subprocess.run([WINE, "cmd", "/c", command], cwd=folder,
                           env=wine_env(wbox.prefix), capture_output=True,
                           text=True, timeout=120,
                           preexec_fn=lambda: os.umask(0o077))
        assert r.returncode == 0, (command, r.stdout, r.stderr)
    installed = os.path.join(wbox.prefix, "drive_c", "ProgramData",
                             "sendreports")
    assert {"sendreports.exe", "send_reports.bat", "sendreports.ini",
            "sendreports-task.xml"} <= set(os.listdir(installed))
    assert os.path.isfile(os.path.join(wbox.prefix, "drive_c", "windows",
                                       "system32", "tasks", "sendreports"))
    # The reports database for the test (a Django shop's exists), and
    # the installed folders.
    r = wbox.run(argv=[WINE, os.path.join(installed, "sendreports.exe"),
                       "-c", "C:\\ProgramData\\sendreports\\sendreports.ini",
                       "initdb"])
    assert r.returncode == 0, r.stderr
    wbox.add_pdf("r.pdf")
    shutil.copy(os.path.join(wbox.pdf_dir, "r.pdf"), os.path.join(
        installed, "pdf", "r.pdf"))
    wbox.add(pdf_path="r.pdf", scheduled_at=now_utc(-60))
    r = wbox.run(argv=[WINE, "cmd", "/c",
                       "C:\\ProgramData\\sendreports\\send_reports.bat"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert [m[1] for m in srv.messages()] == [["a@example.com"]]


def test_the_daemon_runs_in_the_foreground_until_ctrl_c(wbox, smtp_server):
    """No fork on Windows: the daemon ticks in the foreground; Ctrl-C
    (wine turns SIGINT into it) stops it after the work in hand, exit 0;
    --background says it does not exist there."""
    srv = smtp_server()
    smtp_conf(wbox, srv)
    assert wbox.run("initdb").returncode == 0
    wbox.add_pdf("r.pdf")
    rid = wbox.add(pdf_path="r.pdf", scheduled_at=now_utc(-60))
    r = wbox.run("daemon", "--background")
    assert r.returncode == 71, r.stderr
    assert "--background does not exist on Windows" in r.stderr
    d = subprocess.Popen(wbox.cmd("-v", "daemon", "--interval", "2"),
                         env=wine_env(wbox.prefix), cwd=wbox.root,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True, preexec_fn=lambda: os.umask(0o077))
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not srv.messages():
            time.sleep(0.2)
        assert [m[1] for m in srv.messages()] == [["a@example.com"]]
        d.send_signal(2)
        _, err = d.communicate(timeout=30)
    finally:
        if d.poll() is None:
            d.kill()
            d.wait()
    assert d.returncode == 0, err
    assert "daemon: stopping" in err
    assert wbox.rows()[rid]["sent"] == 1 and wbox.queue() == []


def test_paths_beyond_ascii(tmp_path, wineprefix, smtp_server):
    """UTF-8 paths everywhere: the configuration, the databases, the spool
    and the PDFs in a folder named "Données", a PDF rendered to "Résumé
    été.pdf" (the platform layer converts to UTF-16; the manifest makes
    UTF-8 the C library's code page)."""
    root = tmp_path / "Données"
    root.mkdir()
    wbox = WineBox(root, wineprefix)
    srv = smtp_server()
    smtp_conf(wbox, srv)
    r = wbox.run("initdb")
    assert r.returncode == 0, r.stderr
    wbox.add_pdf("Ventes été.pdf")
    rid = wbox.add(pdf_path="Ventes été.pdf", scheduled_at=now_utc(-60))
    r = wbox.run("tick")
    assert r.returncode == 0, r.stderr
    assert [m[1] for m in srv.messages()] == [["a@example.com"]], \
        r.stderr
    assert wbox.rows()[rid]["sent"] == 1 and wbox.queue() == []
    data = wbox.add(title="Stock", report_data=json.dumps(DATA))
    out = os.path.join(wbox.root, "Résumé été.pdf")
    r = wbox.run("render", data, "-o", out)
    assert r.returncode == 0, r.stderr
    with open(out, "rb") as f:
        assert "Poires" in pdf_text(tmp_path, f.read())
