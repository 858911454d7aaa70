"""The delivery log lines, as log tools parse them (after Postfix's):
one line per event with id=, report=, from=, to=, relay=, delay=, tries=,
status=sent|deferred|failed and the server's reply; sent at info,
deferred at warning, failed at err (-q shows only err)."""
import re

from conftest import NOW_ARG
from smtpfixture import smtp_server  # noqa: F401

LINE = re.compile(
    r"^sendreports: (?P<name>r\d+\.\d{8}T\d{6}Z): "
    r"id=<(?P<id>[^>]+)> report=(?P<report>\d+) from=<(?P<from>[^>]*)> "
    r"to=(?P<to>\S+) relay=(?P<relay>\S+) delay=(?P<delay>\d+s|-) "
    r"tries=(?P<tries>\d+) status=(?P<status>sent|deferred|failed) "
    r"\((?P<detail>.*)\)$")


def queued(box, srv, **cols):
    box.write_conf("[smtp]\nurl = %s\ntls = none\ntimeout = 3\n" % srv.url)
    box.spool_due(1, **cols)


def events(text):
    return [m.groupdict() for m in map(LINE.match, text.splitlines()) if m]


def test_a_delivery_is_one_line_with_the_servers_reply(box, smtp_server):
    srv = smtp_server()
    queued(box, srv, recipients="a@example.com, b@example.com")
    r = box.run("-v", "flush", "--now", "2026-11-23T08:02:05Z")
    assert r.returncode == 0, r.stderr
    [e] = events(r.stderr)
    assert e["status"] == "sent" and e["tries"] == "1"
    assert e["to"] == "<a@example.com>,<b@example.com>"
    assert e["from"] == "rapports@example.com" and e["report"] == "1"
    assert e["relay"] == "127.0.0.1[127.0.0.1]:%d" % srv.port
    assert e["detail"].startswith("250 ") and "queued as" in e["detail"]
    # Spooled at 08:00:00 by the --now of send, delivered at 08:02:05.
    assert e["delay"] == "125s"


def test_deferred_at_warning_failed_at_err(box, smtp_server):
    srv = smtp_server(rcpt_reply="451 4.3.0 try later")
    queued(box, srv)
    r = box.run("flush", "--now", NOW_ARG)
    [e] = events(r.stderr)      # warning: shown without -v
    assert e["status"] == "deferred" and "451 4.3.0 try later" in \
        e["detail"] and "next try" in e["detail"]
    r = box.run("-q", "flush", "--now", NOW_ARG, "--force")
    assert events(r.stderr) == []   # -q: errors only
    srv.set_mode(rcpt_reply="550 5.1.1 no such user")
    r = box.run("-q", "flush", "--now", NOW_ARG, "--force")
    [e] = events(r.stderr)
    assert e["status"] == "failed" and e["tries"] == "3"
    assert "550 5.1.1 no such user" in e["detail"]
    assert "moved to failed/" in e["detail"]


def test_a_report_queued_is_one_line_too(box):
    box.initdb()
    box.add_pdf("a.pdf")
    rid = box.add(pdf_path="a.pdf")
    r = box.run("-v", "send", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert re.search(r"^sendreports: r%d\.20261123T070000Z: "
                     r"id=<r%d\.20261123T070000Z\.sendreports@example\.com> "
                     r"report=%d occurrence=2026-11-23T07:00:00Z "
                     r"status=queued \(stored PDF\)$" % (rid, rid, rid),
                     r.stderr, re.M), r.stderr
