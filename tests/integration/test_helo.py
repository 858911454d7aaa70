"""The name flush gives in EHLO: relays refuse a bare host name, so it is
[smtp] helo, else the URL's path (libcurl's way), else the box's fully
qualified name, or its host name with ".localdomain"."""
import re
import socket

from conftest import NOW_ARG
from smtpfixture import smtp_server  # noqa: F401


def queued(box, srv_url, extra=""):
    box.write_conf("[smtp]\nurl = %s\ntls = none\ntimeout = 3\n%s"
                   % (srv_url, extra))
    box.spool_due(1)


def ehlo_names(srv):
    return [line.split(" ")[3] for line in srv.commands("EHLO")]


def test_helo_names_the_box(box, smtp_server):
    srv = smtp_server()
    queued(box, srv.url, "helo = edge-42.shops.example.com\n")
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert ehlo_names(srv) == ["edge-42.shops.example.com"]


def test_without_helo_the_name_is_fully_qualified(box, smtp_server):
    srv = smtp_server()
    queued(box, srv.url)
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    [name] = ehlo_names(srv)
    host = socket.gethostname()
    assert "." in name
    assert name.split(".")[0] == host.split(".")[0]


def test_the_urls_path_still_names_it(box, smtp_server):
    srv = smtp_server()
    queued(box, srv.url + "/box1.example.org")
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    assert ehlo_names(srv) == ["box1.example.org"]


def test_a_helo_that_is_no_name_is_a_configuration_error(box):
    box.write_conf("[smtp]\nurl = smtp://127.0.0.1:25\nhelo = my box\n")
    r = box.run("flush")
    assert r.returncode == 78
    assert "[smtp] helo \"my box\": not a domain name" in r.stderr
    assert re.search(r"line \d+", r.stderr), r.stderr
