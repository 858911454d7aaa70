"""The SMTP message phase of src/smtp.c against a real server (smtpserver.py)
through the driver tests/tools/smtp_send.c ($SENDREPORTS_SMTP_DRIVER):
PIPELINING (RFC 2920) when the server offers it, one command at a time when
it does not, every reply matched to its command (a refusal in step: RSET and
the same connection; a 421, a lost or doubtful dialogue: a fresh one), dot-
stuffing across the 64 KiB pieces the file is read in, and SIZE=.

The server tells what it saw in connections.log: "PIPELINED yes|no" per MAIL
when it offered PIPELINING (did DATA come along with MAIL?), "EARLY" when
the client sent more before a reply it had to wait for.  The first tests
check that it sees them, with a client written here.
"""

import os
import socket
import time

import pytest

from conftest import NOW_ARG
from smtpfixture import smtp_server  # noqa: F401
from test_smtp_client import DRIVER, FROM, TO, TO2, message, run, status

pytestmark = [
    pytest.mark.skipif(not DRIVER, reason="SENDREPORTS_SMTP_DRIVER is not "
                       "set (build tests/tools/smtp_send.c and point it "
                       "there)"),
    pytest.mark.skipif(bool(os.environ.get("SENDREPORTS_EMULATOR")),
                       reason="the driver is built for the host"),
]

PIECE = 65536                   # the client reads the file in such pieces
SPOOL_HEADER = b"SENDREPORTS-SPOOL 1\r\nFrom: x\r\n\r\n"


def queued(line, n):
    """The line is the outcome of the server's n-th accepted message: its
    own final reply, not one meant for another command."""
    return status(line) == ("ok", 250) and line.endswith(
        "queued as M%d" % n)


def conn_of(line):
    return int(line.split(" ")[0])


# --- the server sees pipelining ---------------------------------------------

class RawClient:
    """A client written here, to show what the server logs."""

    def __init__(self, srv):
        self.sock = socket.create_connection((srv.host, srv.port), 10)
        self.f = self.sock.makefile("rb")
        self.reply()                                    # the greeting

    def reply(self):
        lines = []
        while True:
            line = self.f.readline().decode()
            assert line, "the server closed the connection"
            lines.append(line.rstrip("\r\n"))
            if line[3:4] != "-":
                return lines

    def send(self, *commands):
        """Sends the commands in one write."""
        self.sock.sendall(b"".join(c.encode() + b"\r\n" for c in commands))

    def close(self):
        self.send("QUIT")
        self.reply()
        self.f.close()
        self.sock.close()


def test_server_sees_commands_sent_without_waiting(smtp_server):
    """Without PIPELINING offered, MAIL RCPT DATA in one write are EARLY:
    the check the other tests rely on sees a client that does not wait."""
    srv = smtp_server()
    c = RawClient(srv)
    c.send("EHLO client.example")
    assert "250-PIPELINING" not in c.reply()
    c.send("MAIL FROM:<%s>" % FROM, "RCPT TO:<%s>" % TO, "DATA")
    assert [c.reply()[0][:3] for _ in range(3)] == ["250", "250", "354"]
    c.send("Subject: x", "", "body", ".")
    assert c.reply()[0].startswith("250")
    c.close()
    assert [l.split(" ")[2] for l in srv.early()] == ["MAIL", "RCPT"]
    assert srv.pipelined() == []


def test_server_sees_a_pipelined_group(smtp_server):
    """With PIPELINING offered: "yes" when DATA came with MAIL, "no" when
    the client waited; the body before the 354 is EARLY all the same."""
    srv = smtp_server(pipelining=True)
    c = RawClient(srv)
    c.send("EHLO client.example")
    assert "250-PIPELINING" in c.reply()
    c.send("MAIL FROM:<%s>" % FROM, "RCPT TO:<%s>" % TO, "RCPT TO:<%s>" % TO2,
           "DATA")
    assert [c.reply()[0][:3] for _ in range(4)] == ["250"] * 3 + ["354"]
    c.send("Subject: x", "", "body", ".")
    assert c.reply()[0].startswith("250")
    assert srv.early() == []
    c.send("MAIL FROM:<%s>" % FROM)                 # one at a time
    assert c.reply()[0].startswith("250")
    c.send("RCPT TO:<%s>" % TO)
    assert c.reply()[0].startswith("250")
    c.send("DATA", "Subject: y", "", "body", ".")   # the body too soon
    assert [c.reply()[0][:3] for _ in range(2)] == ["354", "250"]
    c.close()
    assert srv.pipelined() == ["yes", "no"]
    assert srv.lines_behind_mail() == [3, 0]
    assert [l.split(" ")[2] for l in srv.early()] == ["DATA"]


# --- pipelining and its absence ---------------------------------------------

def test_pipelined_messages_over_one_connection(smtp_server, tmp_path):
    """PIPELINING offered: MAIL, the RCPTs and DATA in one write for each
    message, the body after the 354, three messages over one connection."""
    srv = smtp_server(pipelining=True)
    files = [message(tmp_path, "m%d.eml" % i, "message %d" % i)
             for i in range(3)]
    out, _ = run(srv, [p for p, _ in files], rcpts=(TO, TO2))
    assert [queued(l, i + 1) for i, l in enumerate(out)] == [True] * 3, out
    assert srv.messages() == [(FROM, [TO, TO2], b) for _, b in files]
    assert srv.connection_count() == 1
    assert srv.pipelined() == ["yes"] * 3
    assert srv.lines_behind_mail() == [3] * 3      # RCPT, RCPT, DATA
    assert srv.early() == []


def test_without_pipelining_one_command_at_a_time(smtp_server, tmp_path):
    """Not offered: the client waits for every reply before the next
    command (a server may refuse "improper command pipelining")."""
    srv = smtp_server()
    files = [message(tmp_path, "m%d.eml" % i, "message %d" % i)
             for i in range(2)]
    out, _ = run(srv, [p for p, _ in files], rcpts=(TO, TO2))
    assert [queued(l, i + 1) for i, l in enumerate(out)] == [True] * 2, out
    assert srv.messages() == [(FROM, [TO, TO2], b) for _, b in files]
    assert srv.early() == []
    assert srv.pipelined() == []
    assert len(srv.commands("RCPT")) == 4
    assert srv.connection_count() == 1


# --- refusals in step: RSET, and the same connection ------------------------

@pytest.mark.parametrize("pipelining", [True, False])
def test_mail_refused_then_rset_on_the_same_connection(smtp_server, tmp_path,
                                                       pipelining):
    """A 550 to MAIL: the pipelined RCPT and DATA get aiosmtpd's 503s,
    which must be read as theirs: the outcome is the 550, and the next
    message, after RSET, gets its own reply over the same connection."""
    srv = smtp_server(pipelining=pipelining,
                      mail_reply="550 5.7.1 Sender refused",
                      mail_reply_first=1)
    p1, _ = message(tmp_path, "m1.eml", "refused")
    p2, b2 = message(tmp_path, "m2.eml", "accepted")
    out, _ = run(srv, [p1, p2], rcpts=(TO, TO2))
    assert status(out[0]) == ("permfail", 550), out     # not a 503
    assert queued(out[-1], 1), out
    assert srv.messages() == [(FROM, [TO, TO2], b2)]
    assert srv.connection_count() == 1
    assert len(srv.commands("RSET")) >= 1
    assert srv.early() == []
    if pipelining:
        assert srv.pipelined() == ["yes", "yes"]
    else:
        # Nothing more for a message whose sender was refused.
        assert len(srv.commands("RCPT")) == 2


@pytest.mark.parametrize("pipelining", [True, False])
def test_all_recipients_refused_then_same_connection(smtp_server, tmp_path,
                                                     pipelining):
    """550 to every RCPT: permfail, both refusals listed; the pipelined
    DATA's 503 is not taken for anything else; RSET, same connection."""
    srv = smtp_server(pipelining=pipelining,
                      rcpt_reply="550 5.1.1 No such user",
                      rcpt_reply_first=2)
    p1, _ = message(tmp_path, "m1.eml", "refused")
    p2, b2 = message(tmp_path, "m2.eml", "accepted")
    out, _ = run(srv, [p1, p2], rcpts=(TO, TO2))
    assert status(out[0]) == ("permfail", 550), out
    assert sorted(l.split(" ")[1] for l in out[1:3]
                  if l.startswith("refused ")) == [TO, TO2]
    assert queued(out[-1], 1), out
    assert srv.messages() == [(FROM, [TO, TO2], b2)]
    assert srv.connection_count() == 1
    assert len(srv.commands("RSET")) >= 1
    assert srv.early() == []
    if pipelining:
        assert srv.pipelined() == ["yes", "yes"]
    else:
        assert len(srv.commands("DATA")) == 1      # the second message's


@pytest.mark.parametrize("pipelining", [True, False])
def test_data_command_refused_then_same_connection(smtp_server, tmp_path,
                                                   pipelining):
    """451 to the DATA command itself (no body sent): tempfail; RSET ends
    the transaction the server still holds (else the next MAIL is a nested
    MAIL), the next message over the same connection."""
    srv = smtp_server(pipelining=pipelining,
                      data_cmd_reply="451 4.3.0 Not now",
                      data_cmd_reply_first=1)
    p1, _ = message(tmp_path, "m1.eml", "deferred")
    p2, b2 = message(tmp_path, "m2.eml", "accepted")
    out, _ = run(srv, [p1, p2])
    assert status(out[0]) == ("tempfail", 451), out
    assert queued(out[-1], 1), out
    assert srv.messages() == [(FROM, [TO], b2)]
    assert srv.connection_count() == 1
    assert len(srv.commands("RSET")) >= 1
    assert srv.early() == []
    if pipelining:
        assert srv.pipelined() == ["yes", "yes"]


def test_one_recipient_deferred_in_a_pipelined_group(smtp_server, tmp_path):
    """451 to one recipient while DATA, already sent, got its 354: the
    whole message is deferred, so the body must not go (the server would
    queue it for the others).  The client closes the connection instead of
    ending the data; the next message goes over a new one."""
    srv = smtp_server(pipelining=True, rcpt_reply="451 4.3.0 Greylisted",
                      rcpt_match=[TO2], rcpt_reply_first=1)
    p1, _ = message(tmp_path, "m1.eml", "deferred")
    p2, b2 = message(tmp_path, "m2.eml", "accepted")
    out, _ = run(srv, [p1, p2], rcpts=(TO, TO2))
    assert status(out[0]) == ("tempfail", 451), out
    assert out[1].startswith("refused %s 451 " % TO2)
    assert queued(out[-1], 1), out
    assert srv.messages() == [(FROM, [TO, TO2], b2)]   # nothing of the first
    assert srv.connection_count() == 2
    assert [conn_of(l) for l in srv.commands("DATA")] == [1, 2]
    assert srv.pipelined() == ["yes", "yes"]
    assert srv.early() == []


def test_one_recipient_deferred_without_pipelining(smtp_server, tmp_path):
    """The same refusal one command at a time: no DATA for the deferred
    message, RSET, and the same connection for the next."""
    srv = smtp_server(rcpt_reply="451 4.3.0 Greylisted", rcpt_match=[TO2],
                      rcpt_reply_first=1)
    p1, _ = message(tmp_path, "m1.eml", "deferred")
    p2, b2 = message(tmp_path, "m2.eml", "accepted")
    out, _ = run(srv, [p1, p2], rcpts=(TO, TO2))
    assert status(out[0]) == ("tempfail", 451), out
    assert queued(out[-1], 1), out
    assert srv.messages() == [(FROM, [TO, TO2], b2)]
    assert len(srv.commands("DATA")) == 1
    assert srv.connection_count() == 1
    assert len(srv.commands("RSET")) >= 1
    assert srv.early() == []


@pytest.mark.parametrize("server_closes", [False, True])
def test_421_to_mail_means_a_new_connection(smtp_server, tmp_path,
                                            server_closes):
    """421: the server is going away.  The client drops the connection
    whether or not the server closes it first (server_closes: it ends its
    side right after the 421, as Postfix does), and the next message goes
    over a new one."""
    srv = smtp_server(pipelining=True, mail_reply="421 4.3.2 Shutting down",
                      mail_reply_first=1, close_after_reply=server_closes)
    p1, _ = message(tmp_path, "m1.eml", "deferred")
    p2, b2 = message(tmp_path, "m2.eml", "accepted")
    out, _ = run(srv, [p1, p2])
    assert status(out[0]) == ("tempfail", 421), out
    assert queued(out[-1], 1), out
    assert srv.messages() == [(FROM, [TO], b2)]
    assert srv.connection_count() == 2
    assert [conn_of(l) for l in srv.commands("MAIL")] == [1, 2]
    assert ("1 SHUTDOWN" in srv.connections()) == server_closes


# --- dot-stuffing across the pieces -----------------------------------------

# Lines starting with a dot at and around the pieces' boundaries (file
# offsets): a lone "." (unstuffed it would end the message) first in a
# piece, "..", a "..." whose first dot is the last byte of a piece, and a
# dot line just after a CRLF that the boundary cuts in two.
BOUNDARY_DOTS = [(PIECE, b"."), (2 * PIECE, b".."),
                 (3 * PIECE - 1, b"..."), (4 * PIECE + 1, b".x")]
MORE_DOTS = [b".", b"..", b"...", b".a line that starts with a dot",
             b"..two dots", b". ", b".\t"]
ENDINGS = {
    "crlf": b"the last line\r\n",
    "no_crlf": b".the last line, without CRLF",
    "lone_dot": b"the line before\r\n.",      # "." without CRLF, last
}


def dotted_message(marks, ending):
    """A message whose lines at the offsets of marks ((offset, line), in
    order) start with dots, with many more dot lines between them; ending
    is its last bytes."""
    out = bytearray(b"From: Rapports <%s>\r\nTo: %s\r\nSubject: dots\r\n"
                    b"\r\n" % (FROM.encode(), TO.encode()))
    i = 0
    for offset, line in marks:
        while offset - len(out) > 200:
            out += (MORE_DOTS[i // 3 % len(MORE_DOTS)] if i % 3 == 0
                    else b"filler line %06d" % i) + b"\r\n"
            i += 1
        gap = offset - len(out)
        assert gap >= 2, "marks too close"
        out += b"y" * (gap - 2) + b"\r\n"
        assert len(out) == offset
        out += line + b"\r\n"
    for _ in range(100):
        out += MORE_DOTS[i % len(MORE_DOTS)] + b"\r\n"
        i += 1
    return bytes(out + ending)


def delivered_as(data):
    """What the server must record: the data, with the CRLF the client
    adds when it does not end with one."""
    return data if data.endswith(b"\r\n") else data + b"\r\n"


@pytest.mark.parametrize("pipelining", [False, True])
@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_dot_lines_at_piece_boundaries(smtp_server, tmp_path, pipelining,
                                       ending):
    data = dotted_message(BOUNDARY_DOTS, ENDINGS[ending])
    assert data[PIECE:PIECE + 3] == b".\r\n"
    path = tmp_path / "dots.eml"
    path.write_bytes(data)
    srv = smtp_server(pipelining=pipelining)
    out, _ = run(srv, [path, path])
    assert [queued(l, i + 1) for i, l in enumerate(out)] == [True] * 2, out
    assert [m[2] for m in srv.messages()] == [delivered_as(data)] * 2
    assert srv.connection_count() == 1
    assert srv.early() == []
    if pipelining:
        assert srv.pipelined() == ["yes", "yes"]


def test_dot_lines_at_boundaries_after_an_offset(smtp_server, tmp_path):
    """The spool's envelope before the message (-o): dot lines where the
    pieces end counted from the file's start and from the message's."""
    h = len(SPOOL_HEADER)
    marks = sorted([(o - h, l) for o, l in BOUNDARY_DOTS] + BOUNDARY_DOTS)
    body = dotted_message(marks, ENDINGS["no_crlf"])
    path = tmp_path / "spooled"
    path.write_bytes(SPOOL_HEADER + body)
    srv = smtp_server(pipelining=True)
    out, _ = run(srv, [path], offset=h)
    assert queued(out[0], 1), out
    assert srv.messages()[0][2] == delivered_as(body)
    assert srv.early() == []


def test_message_starting_with_a_dot(smtp_server, tmp_path):
    """The first line of the data is a line too: its dot is doubled."""
    body = b".first line\r\n..second\r\n.\r\n"
    path = tmp_path / "spooled"
    path.write_bytes(SPOOL_HEADER + body)
    srv = smtp_server()
    out, _ = run(srv, [path], offset=len(SPOOL_HEADER))
    assert queued(out[0], 1), out
    assert srv.messages()[0][2] == body


# --- SIZE -------------------------------------------------------------------

@pytest.mark.parametrize("pipelining,offset", [(False, 0), (True, 0),
                                               (True, len(SPOOL_HEADER))])
def test_mail_from_carries_the_size(smtp_server, tmp_path, pipelining,
                                    offset):
    """aiosmtpd offers SIZE: MAIL FROM gives the message's bytes (from the
    offset; a server refuses early what it would not take)."""
    _, body = message(tmp_path)
    path = tmp_path / "spooled"
    path.write_bytes((SPOOL_HEADER if offset else b"") + body)
    srv = smtp_server(pipelining=pipelining)
    out, _ = run(srv, [path], offset=offset)
    assert queued(out[0], 1), out
    [mail] = srv.commands("MAIL")
    params = mail.split(" ")[4:]
    assert "SIZE=%d" % len(body) in params, mail


# --- many recipients --------------------------------------------------------

def test_ten_thousand_recipients_pipelined(ready, smtp_server):
    """10,000 RCPTs pipelined: the client must read the replies while it
    writes (neither side's buffers hold them all) and must not deadlock;
    every recipient accepted, the message delivered once."""
    srv = smtp_server(pipelining=True)
    ready.write_conf("[smtp]\nurl = %s\ntls = none\ntimeout = 10\n"
                     % srv.url)
    many = ", ".join("user%05d@example.com" % i for i in range(10000))
    rid = ready.add(report_data="{}", recipients="a@example.com", bcc=many)
    assert ready.run("send", "--now", NOW_ARG).returncode == 0
    t0 = time.monotonic()
    r = ready.run("flush", "--now", NOW_ARG, timeout=120)
    elapsed = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    (sender, rcpts, raw), = srv.messages()
    assert len(rcpts) == 10001 and len(set(rcpts)) == 10001
    assert ready.rows()[rid]["last_error"] is None
    assert len(srv.commands("MAIL")) == 1
    assert srv.connection_count() == 1
    assert srv.early() == []
    # Sent ahead: more than the MAIL command in the first write.
    assert srv.lines_behind_mail()[0] > 0, srv.pipelined()
    assert elapsed < 20
