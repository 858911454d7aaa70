"""daemon: the tick loop as a service, with its signals, on the real clock."""
import os
import signal
import subprocess
import time

import pytest

from conftest import now_utc, run_env, wait_for
from smtpfixture import smtp_server  # noqa: F401


@pytest.fixture
def daemon(box):
    """Starts `daemon` in the foreground; stopped by PID at teardown."""
    procs = []

    def start(*args):
        argv = box.cmd("daemon", *args)
        argv.insert(argv.index("-c"), "-v")
        p = subprocess.Popen(argv,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=run_env(), cwd=box.root, text=True)
        procs.append(p)
        return p

    yield start
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()


def conf_with(box, url):
    box.write_conf("[smtp]\nurl = %s\ntls = none\ntimeout = 3\n" % url)


def test_daemon_ticks_and_stops_cleanly_on_sigterm(box, daemon,
                                                   smtp_server):
    srv = smtp_server()
    conf_with(box, srv.url)
    box.initdb()
    box.add_pdf("a.pdf")
    box.add(pdf_path="a.pdf", scheduled_at=now_utc(-60))
    pidfile = os.path.join(box.root, "daemon.pid")
    p = daemon("--interval", "1", "--pidfile", pidfile)
    assert wait_for(lambda: len(srv.messages()) == 1), p.stderr
    with open(pidfile) as f:
        assert int(f.read()) == p.pid
    # A report falling due while it runs goes out at the next tick.
    box.add_pdf("b.pdf")
    box.add(pdf_path="b.pdf", scheduled_at=now_utc(1))
    assert wait_for(lambda: len(srv.messages()) == 2)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=20)
    assert p.returncode == 0, err
    assert not os.path.exists(pidfile)
    assert box.tmp_files() == []
    assert box.queue() == []


def test_sigusr1_flushes_at_once(box, daemon, smtp_server):
    srv = smtp_server()
    conf_with(box, srv.url)
    box.initdb()
    pidfile = os.path.join(box.root, "daemon.pid")
    # An interval of an hour: only the signal can make it flush now.
    p = daemon("--interval", "3600", "--pidfile", pidfile)
    assert wait_for(lambda: os.path.exists(pidfile))
    time.sleep(0.5)
    box.add_pdf("a.pdf")
    box.add(pdf_path="a.pdf", scheduled_at=now_utc(-5))
    r = box.run("send")
    assert r.returncode == 0, r.stderr
    assert len(box.queue()) == 1
    p.send_signal(signal.SIGUSR1)
    assert wait_for(lambda: len(srv.messages()) == 1, timeout=15)
    # The file goes once the server's reply is in: a moment later.
    assert wait_for(lambda: box.queue() == [], timeout=15)
    p.send_signal(signal.SIGINT)
    p.communicate(timeout=20)
    assert p.returncode == 0


def test_sighup_with_a_broken_configuration_keeps_running(box, daemon,
                                                          smtp_server):
    srv = smtp_server()
    conf_with(box, srv.url)
    box.initdb()
    p = daemon("--interval", "1")
    time.sleep(1.0)
    with open(box.conf, "a") as f:
        f.write("[smtp]\nnonsense = 1\n")
    p.send_signal(signal.SIGHUP)
    time.sleep(1.5)
    assert p.poll() is None
    # Still working, with the old configuration.
    box.add_pdf("a.pdf")
    box.add(pdf_path="a.pdf", scheduled_at=now_utc(-5))
    assert wait_for(lambda: len(srv.messages()) == 1)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=20)
    assert p.returncode == 0
    assert "configuration refused, keeping the running one" in err
    assert 'unknown key "nonsense"' in err


def test_background_detaches_and_one_daemon_per_pidfile(box, smtp_server):
    srv = smtp_server()
    conf_with(box, srv.url)
    box.initdb()
    pidfile = os.path.join(box.root, "daemon.pid")
    argv = box.cmd("daemon", "--background", "--pidfile", pidfile,
                   "--interval", "1")
    r = subprocess.run(argv, capture_output=True, text=True, timeout=20,
                       env=run_env(), cwd=box.root)
    assert r.returncode == 0, r.stderr
    with open(pidfile) as f:
        pid = int(f.read())
    try:
        os.kill(pid, 0)
        r = subprocess.run(argv, capture_output=True, text=True,
                           timeout=20, env=run_env(), cwd=box.root)
        assert r.returncode == 75
        assert "another daemon is running (pid %d" % pid in r.stderr
        os.kill(pid, signal.SIGTERM)
        assert wait_for(lambda: not os.path.exists(pidfile))
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_bad_interval_is_a_usage_error(box):
    r = box.run("daemon", "--interval", "0")
    assert r.returncode == 64
    assert "--interval" in r.stderr
