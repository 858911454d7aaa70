"""Configuration: defaults, relative paths, unknown keys, secrets."""
import os

import pytest

from conftest import NOW_ARG


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
        for w in words:
            assert w in r.stderr
        assert box.conf in r.stderr


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
