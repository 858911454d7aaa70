"""[smtp] fallback_url: when the main relay cannot be reached, the run goes
on through the fallback; when neither answers, the queue pauses as
before."""
import socket

from conftest import NOW_ARG
from smtpfixture import smtp_server  # noqa: F401


def closed_port():
    """A loopback port nothing listens on (bound, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def queued(box, url, fallback, n=2):
    box.write_conf("[smtp]\nurl = %s\nfallback_url = %s\ntls = none\n"
                   "timeout = 3\n" % (url, fallback))
    box.spool_due(n)


def test_an_unreachable_relay_falls_back(box, smtp_server):
    srv = smtp_server()
    queued(box, "smtp://127.0.0.1:%d" % closed_port(), srv.url)
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert "trying the fallback relay %s" % srv.url in r.stderr
    assert len(srv.messages()) == 2 and box.queue() == []
    assert srv.connection_count() == 1      # one connection for the run


def test_neither_relay_answers_the_queue_pauses(box):
    queued(box, "smtp://127.0.0.1:%d" % closed_port(),
           "smtp://127.0.0.1:%d" % closed_port())
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 75, r.stderr
    assert len(box.queue()) == 2
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0    # paused: nothing tried


def test_a_fallback_that_is_no_smtp_url_is_a_configuration_error(box):
    box.write_conf("[smtp]\nurl = smtp://127.0.0.1:25\n"
                   "fallback_url = http://relay.example.com\n")
    r = box.run("flush")
    assert r.returncode == 78
    assert "fallback_url" in r.stderr and "not an smtp://" in r.stderr
