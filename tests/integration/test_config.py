"""Configuration: defaults, relative paths, unknown keys, secrets, and the
values that parse but cannot work (an unknown zone, a password without
TLS, an unknown run user, a port that speaks the other TLS mode): each a
configuration error (78) naming its file and line, before anything is
written."""
import os
import zoneinfo
from datetime import datetime, timezone

import pytest

from conftest import NOW_ARG
from smtpfixture import smtp_pki, smtp_server  # noqa: F401


@pytest.mark.parametrize("extra,words", [
    ("[database]\npaht = x.db\n", ['unknown key "paht" in [database]',
                                   "line 14"]),
    ("[smpt]\nurl = smtp://x\n", ["unknown section [smpt]"]),
    ("[retry]\nmax_age = soon\n", ["bad value for [retry] max_age",
                                   "soon"]),
    ("[smtp]\ntls = maybe\n", ["bad value for [smtp] tls"]),
    ("[retry]\nbackoff_min = 600\nbackoff_max = 60\n", ["backoff_max"]),
])
def test_bad_configuration_is_refused_naming_the_problem(box, extra, words):
    box.write_conf(extra)
    for cmd in (["send", "--now", NOW_ARG], ["check"], ["list"]):
        r = box.run(*cmd)
        assert r.returncode == 78, (cmd, r.stderr)
        # check says it on stdout, as a FAIL line; the others on stderr.
        out = r.stdout if cmd == ["check"] else r.stderr
        for w in words:
            assert w in out
        assert box.conf in out


def test_missing_explicit_configuration_is_refused(box):
    r = box.run(argv=[os.environ["SENDREPORTS_BIN"], "-c",
                      os.path.join(box.root, "nope.ini"), "check"])
    assert r.returncode == 78
    assert "nope.ini" in r.stderr


def test_password_in_configuration_readable_by_others_is_refused(box):
    box.write_conf("[smtp]\nusername = u\npassword = hunter2\n", mode=0o644)
    r = box.run("check")
    assert r.returncode == 78
    assert "group or others" in r.stderr
    assert "hunter2" not in r.stderr
    box.write_conf("[smtp]\nusername = u\npassword = hunter2\n", mode=0o600)
    box.initdb()
    assert box.run("check").returncode == 0


def test_password_file_readable_by_others_is_refused(box):
    secret = os.path.join(box.root, "secret")
    with open(secret, "w") as f:
        f.write("hunter2\n")
    os.chmod(secret, 0o640)
    box.write_conf("[smtp]\nusername = u\npassword_file = secret\n",
                   mode=0o644)
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 78
    assert "password file" in r.stderr and "secret" in r.stderr
    assert "hunter2" not in r.stderr
    os.chmod(secret, 0o600)
    box.initdb()
    assert box.run("send", "--now", NOW_ARG).returncode == 0


def test_relative_paths_are_resolved_against_the_file(box, tmp_path):
    box.initdb()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    r = box.run(argv=[os.environ["SENDREPORTS_BIN"], "-c", box.conf,
                      "check"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert os.path.join(box.root, "reports.db") in r.stdout
    assert os.path.join(box.root, "spool") in r.stdout


def test_environment_names_the_configuration(box):
    box.initdb()
    r = box.run(argv=[os.environ["SENDREPORTS_BIN"], "check"],
                env={"SENDREPORTS_CONFIG": box.conf})
    assert r.returncode == 0, r.stdout + r.stderr


def test_check_reports_every_problem(box):
    box.initdb()
    os.chmod(box.spool, 0o755)
    box.write_conf("[mail]\nfrom = not an address\ntimezone = Mars/Base\n")
    r = box.run("check")
    assert r.returncode == 78
    assert "FAIL  sender" in r.stdout
    assert "FAIL  timezone" in r.stdout
    assert "FAIL  spool" in r.stdout and "0755" in r.stdout
    assert "ok    database" in r.stdout


def test_unknown_command_and_bad_option_are_usage_errors(box):
    assert box.run("frobnicate").returncode == 64
    assert box.run("send", "--bogus").returncode == 64
    assert box.run("send", "--now", "yesterday").returncode == 64


# --- values that parse but cannot work ------------------------------------

EVERY_COMMAND = [
    ["send", "--now", NOW_ARG], ["flush", "--now", NOW_ARG],
    ["tick", "--now", NOW_ARG], ["status"], ["list"], ["queue"],
    ["render", "1", "-o", "out.pdf"],
    ["schedule", "--to", "a@example.com", "--at", "2026-11-23 08:00",
     "--data", "-"],
    ["daemon", "--interval", "1"], ["initdb"],
]


def files_under(root):
    out = []
    for d, dirs, files in os.walk(root):
        out += [os.path.relpath(os.path.join(d, n), root)
                for n in dirs + files]
    return sorted(out)


# (extra configuration, its line, the words of the error, check's label)
PROBLEMS = [
    ("[mail]\ntimezone = Mars/Olympus\n", 14,
     'unknown time zone "Mars/Olympus"', "timezone"),
    ("[smtp]\ntls = none\nusername = u\npassword = pw\n", 15,
     "[smtp] username is set but tls = none", "smtp auth"),
    ("[smtp]\nusername = u\npassword = pw\ntls = opportunistic\n", 14,
     "[smtp] username is set but tls = opportunistic", "smtp auth"),
    ("[smtp]\nurl = smtps://mail.example.com\ntls = none\n", 15,
     "tls = none, but smtps://mail.example.com is implicit TLS",
     "smtp tls"),
    ("[run]\nuser = no-such-user-here\n", 14,
     '[run] user "no-such-user-here": no such user', "run user"),
]


@pytest.mark.parametrize("extra,line,words,label", PROBLEMS,
                         ids=[p[3] for p in PROBLEMS])
def test_a_value_that_cannot_work_is_refused_by_every_command_naming_its_line(
        box, extra, line, words, label):
    """Today an unknown zone is found only when a time is read (send 73
    or 75, status 0), and AUTH without TLS only when flush connects."""
    box.write_conf(extra)
    before = files_under(box.root)
    where = "%s: line %d: " % (box.conf, line)
    for cmd in EVERY_COMMAND:
        r = box.run(*cmd, input="{}")
        if cmd[0] == "status":
            # Health: unhealthy, with the same reason, not an error.
            assert r.returncode == 1, (cmd, r.stdout, r.stderr)
            assert where + words in r.stdout, (cmd, r.stdout)
        else:
            assert r.returncode == 78, (cmd, r.stdout, r.stderr)
            assert where + words in r.stderr, (cmd, r.stderr)
        # Nothing was written: no spool, no database, no output file.
        assert files_under(box.root) == before, cmd
    r = box.run("check")
    assert r.returncode == 78
    assert "FAIL  %-14s  %s%s" % (label, where, words) in r.stdout
    assert files_under(box.root) == before


@pytest.mark.valgrind
def test_check_lists_every_problem_with_its_fix(box):
    box.write_conf("[mail]\ntimezone = Mars/Olympus\n"
                   "[smtp]\ntls = none\nusername = u\npassword = pw\n"
                   "[run]\nuser = no-such-user-here\n")
    r = box.run("check")
    assert r.returncode == 78
    fails = [line for line in r.stdout.splitlines()
             if line.startswith("FAIL")]
    assert "3 problem(s)" in fails[0]
    assert "leave [mail] timezone out for the box's own" in fails[1]
    assert "set tls = required (STARTTLS) or use smtps://" in fails[2]
    assert "no such user" in fails[3]


def test_a_directory_is_not_a_configuration(box):
    """fopen() of a directory succeeds on Linux and reads nothing: today
    the built-in defaults run instead."""
    before = files_under(box.root)
    for cmd in (["send", "--now", NOW_ARG], ["initdb"]):
        r = box.run(argv=[os.environ["SENDREPORTS_BIN"], "-c", box.root]
                    + cmd)
        assert r.returncode == 78, (cmd, r.stderr)
        assert "'%s': it is a directory" % box.root in r.stderr
    # status tells it as the problem that makes the box unhealthy.
    r = box.run(argv=[os.environ["SENDREPORTS_BIN"], "-c", box.root,
                      "status"])
    assert r.returncode == 1
    assert "'%s': it is a directory" % box.root in r.stdout
    r = box.run(argv=[os.environ["SENDREPORTS_BIN"], "-c", box.root,
                      "check"])
    assert r.returncode == 78
    assert r.stdout.startswith("FAIL  configuration")
    assert "is a directory" in r.stdout
    r = box.run(argv=[os.environ["SENDREPORTS_BIN"], "status"],
                env={"SENDREPORTS_CONFIG": box.root})
    assert r.returncode == 1
    assert files_under(box.root) == before


def test_username_with_tls_required_or_smtps_loads(box):
    box.initdb()
    for extra in ("[smtp]\nusername = u\npassword = pw\n",
                  "[smtp]\ntls = required\nusername = u\npassword = pw\n",
                  "[smtp]\nurl = smtps://localhost\ntls = opportunistic\n"
                  "username = u\npassword = pw\n"):
        box.write_conf(extra)
        r = box.run("check")
        assert r.returncode == 0, r.stdout + r.stderr


# --- long lines -------------------------------------------------------------

def long_text(n):
    """n characters of words, as a long default_body would be."""
    text = "".join("Ventes %05d, " % i for i in range(n // 13 + 1))[:n]
    return text[:-1] + "." if text.endswith(" ") else text


@pytest.mark.parametrize("n", [420, 4000])
def test_long_default_body_is_read_whole(box, n):
    """inih's line buffer was 200 bytes: a 420-character default_body was
    "syntax error".  Needs inih built with INI_MAX_LINE=4096."""
    body = long_text(n)
    box.write_conf("[mail]\ndefault_body = %s\n" % body)
    box.initdb()
    box.add_pdf("a.pdf")
    box.add(pdf_path="a.pdf")
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    [name] = box.queue()
    _, _, msg = box.read_spool(name)
    text = next(p for p in msg.walk() if p.get_content_type() ==
                "text/plain").get_content()
    assert text.strip() == body


def test_a_line_over_4_kib_is_an_error_naming_it(box):
    box.write_conf("[mail]\ndefault_body = %s\n[smtp]\ntimeout = 3\n"
                   % ("x" * 5000))
    before = files_under(box.root)
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 78
    assert "%s: line 14: line of 5015 characters, longer than" % box.conf \
        in r.stderr
    assert "Sanitizer" not in r.stderr and "runtime error" not in r.stderr
    assert files_under(box.root) == before


# --- the default time zone --------------------------------------------------

def conf_without_zone(box):
    with open(box.conf, "w") as f:
        f.write("[database]\npath = reports.db\n[spool]\ndir = spool\n"
                "[pdf]\ndir = pdf\n[log]\nsyslog = no\n")
    os.chmod(box.conf, 0o600)


def scheduled_utc(box, env):
    r = box.run("schedule", "--to", "a@example.com", "--at",
                "2026-11-23 08:00", "--data", "-", input="{}", env=env)
    assert r.returncode == 0, r.stderr
    return box.rows()[int(r.stdout)]["scheduled_at"]


def utc_of(zone):
    local = datetime(2026, 11, 23, 8, 0, tzinfo=zoneinfo.ZoneInfo(zone))
    return local.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def localtime_zone():
    """The zone /etc/localtime links to, else UTC: the box's zone."""
    try:
        target = os.readlink("/etc/localtime")
    except OSError:
        return "UTC"
    if "zoneinfo/" not in target:
        return "UTC"
    name = target.rsplit("zoneinfo/", 1)[1]
    for prefix in ("posix/", "right/"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    return name


def test_without_mail_timezone_the_boxs_zone_is_used_never_paris(box):
    conf_without_zone(box)
    box.initdb()
    assert scheduled_utc(box, {"TZ": "America/New_York"}) == \
        "2026-11-23 13:00:00"
    assert scheduled_utc(box, {"TZ": ":Asia/Tokyo"}) == "2026-11-22 23:00:00"
    assert scheduled_utc(box, {"TZ": "UTC"}) == "2026-11-23 08:00:00"
    # TZ unset, or a POSIX rule that names no zone: /etc/localtime's.
    zone = localtime_zone()
    assert scheduled_utc(box, {"TZ": None}) == utc_of(zone)
    assert scheduled_utc(box, {"TZ": "XYZ-3"}) == utc_of(zone)
    r = box.run("check", env={"TZ": "Asia/Tokyo"})
    assert "ok    timezone        Asia/Tokyo (no [mail] timezone: the " \
        "box's zone, from TZ)" in r.stdout
    r = box.run("check", env={"TZ": None})
    assert "timezone        %s" % zone in r.stdout
    assert "Europe/Paris" not in r.stdout


# --- a port that speaks the other TLS mode ----------------------------------

def queue_one(box):
    box.initdb()
    box.add_pdf("a.pdf")
    box.add(pdf_path="a.pdf")
    r = box.run("send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert len(box.queue()) == 1


def test_smtps_at_a_plain_port_is_a_configuration_error(box, smtp_server):
    """Today: exit 75, retried forever."""
    srv = smtp_server()
    box.write_conf("[smtp]\nurl = smtps://localhost:%d\ntls = required\n"
                   "timeout = 3\n" % srv.port)
    queue_one(box)
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 78, r.stderr
    assert "the server at localhost:%d speaks plain SMTP: use smtp:// " \
        "with tls = required (STARTTLS)" % srv.port in r.stderr
    # Paused, charged nothing, the message still queued.
    q = box.run("queue").stdout.split("\t")
    assert q[4] == "queued" and q[5] == "0"
    assert "paused_until: " in box.run("status").stdout
    assert srv.messages() == []
    r = box.run("check", "--smtp")
    assert r.returncode == 78
    assert "FAIL  smtp" in r.stdout and "speaks plain SMTP" in r.stdout


def test_smtp_at_an_implicit_tls_port_is_a_configuration_error(
        box, smtp_server, smtp_pki):
    """The server waits for a ClientHello, the greeting never comes: today
    a timeout, exit 75, retried forever."""
    srv = smtp_server(tls="implicit", pki=smtp_pki)
    box.write_conf("[smtp]\nurl = smtp://localhost:%d\ntls = required\n"
                   "ca_file = %s\ntimeout = 2\n" % (srv.port, smtp_pki.ca))
    queue_one(box)
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 78, r.stderr
    assert "the server at localhost:%d expects TLS at once: use smtps://" \
        % srv.port in r.stderr
    q = box.run("queue").stdout.split("\t")
    assert q[4] == "queued" and q[5] == "0"
    # The same server, named right, takes the message.
    box.write_conf("[smtp]\nurl = smtps://localhost:%d\nca_file = %s\n"
                   "timeout = 2\n" % (srv.port, smtp_pki.ca))
    r = box.run("flush", "--now", NOW_ARG, "--force")
    assert r.returncode == 0, r.stderr
    assert len(srv.messages()) == 1