"""The SMTP message phase of src/smtp.c against a real server (smtpserver.py)
through the driver tests/tools/smtp_send.c ($SENDREPORTS_SMTP_DRIVER):
PIPELINING (RFC 2920) when the server offers it, one command at a time when
it does not, every reply matched to its command (a refusal in step: RSET and
the same connection; a 421, a lost or doubtful dialogue: a fresh one), dot-
stuffing across the 64 KiB pieces the file is read in, and SIZE=.

The server tells what it saw in connections.log: "PIPELINED yes|no" per MAIL
when it offered PIPELINING (did DATA come along with MAIL?), "AHEAD yes|no"
per final "." (did the next message's envelope come behind it?), "EARLY"
when the client sent more before a reply it had to wait for.  The first tests
check that it sees them, with a client written here.
"""

import email
import os
import signal
import socket
import subprocess
import time

import pytest

from conftest import NOW_ARG, now_utc, run_env, wait_for
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


def test_server_sees_an_envelope_sent_ahead(smtp_server):
    """AHEAD: "yes" when the next MAIL came in the write of the final "."
    (with its RCPT and DATA: 3 lines), "no" when the client waited; one
    BODY line per final "."."""
    srv = smtp_server(pipelining=True)
    c = RawClient(srv)
    c.send("EHLO client.example")
    c.reply()
    c.send("MAIL FROM:<%s>" % FROM, "RCPT TO:<%s>" % TO, "DATA")
    assert [c.reply()[0][:3] for _ in range(3)] == ["250", "250", "354"]
    c.send("Subject: x", "", "body", ".",
           "MAIL FROM:<%s>" % FROM, "RCPT TO:<%s>" % TO, "DATA")
    assert [c.reply()[0][:3] for _ in range(4)] == ["250"] * 3 + ["354"]
    c.send("Subject: y", "", "body", ".")
    assert c.reply()[0].startswith("250")
    c.close()
    assert srv.ahead() == ["yes", "no"]
    assert srv.lines_ahead() == [3, 0]
    assert srv.bodies() == [(1, len(b"Subject: x\r\n\r\nbody\r\n"))] * 2
    assert srv.early() == []


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


# --- pipelining across messages ---------------------------------------------
#
# With PIPELINING offered, the client sends the next message's MAIL, RCPTs
# and DATA in the same write as this message's final "." (RFC 2920 3.1: a
# group may start with a message's content): the server logs "AHEAD yes"
# when, the "." read, the next MAIL is already waiting (before any delay,
# drop or reply), "AHEAD no" when none came (the last message).  "BODY" is
# logged per final "." received: a DATA answered 354 without one is a body
# never sent.
# What went ahead is lost with the connection when the dialogue is not in
# step (a 421, a timeout, a drop): the next message then goes over a new
# connection, once.

def test_envelopes_sent_ahead_of_the_replies(smtp_server, tmp_path):
    """Three messages: each one's envelope behind the previous one's end
    of data, all delivered intact and in order over one connection, which
    ends with one QUIT."""
    srv = smtp_server(pipelining=True)
    files = [message(tmp_path, "m%d.eml" % i, "message %d" % i)
             for i in range(3)]
    out, _ = run(srv, [p for p, _ in files], rcpts=(TO, TO2))
    assert [queued(l, i + 1) for i, l in enumerate(out)] == [True] * 3, out
    assert srv.messages() == [(FROM, [TO, TO2], b) for _, b in files]
    assert srv.ahead() == ["yes", "yes", "no"], srv.connections()
    # The whole envelope went ahead: MAIL, RCPT, RCPT, DATA.
    assert srv.lines_ahead()[:2] == [4, 4]
    assert srv.connection_count() == 1
    assert len(srv.commands("MAIL")) == 3
    assert [conn_of(l) for l in srv.commands("QUIT")] == [1]
    assert srv.bodies() == [(1, len(b)) for _, b in files]
    assert srv.early() == []


@pytest.mark.parametrize("reply,st", [("554 5.6.0 Message refused",
                                       "permfail"),
                                      ("451 4.3.0 Queue full", "tempfail")])
def test_final_refusal_keeps_the_envelope_sent_ahead(smtp_server, tmp_path,
                                                     reply, st):
    """A 554 or 451 (not 421) to the first message's final "." leaves the
    dialogue in step: the second message's envelope, already sent, gets
    its replies read and the message goes over the same connection."""
    srv = smtp_server(pipelining=True, data_reply=reply, data_reply_first=1)
    p1, b1 = message(tmp_path, "m1.eml", "refused")
    p2, b2 = message(tmp_path, "m2.eml", "accepted")
    out, _ = run(srv, [p1, p2])
    assert len(out) == 2, out
    assert status(out[0]) == (st, int(reply[:3])), out
    assert queued(out[1], 1), out
    assert srv.messages() == [(FROM, [TO], b2)]
    assert srv.ahead() == ["yes", "no"], srv.connections()
    assert srv.connection_count() == 1
    assert [conn_of(l) for l in srv.commands("MAIL")] == [1, 1]
    assert srv.bodies() == [(1, len(b1)), (1, len(b2))]
    assert [conn_of(l) for l in srv.commands("QUIT")] == [1]
    assert srv.early() == []


@pytest.mark.parametrize("server_closes", [True, False])
def test_421_to_the_final_dot_drops_the_envelope_sent_ahead(
        smtp_server, tmp_path, server_closes):
    """421 to the first message's final ".": the server is going away
    (server_closes: it ends its side at once and discards the envelope
    sent ahead; else it answers that envelope, DATA's 354 included).  The
    client must drop the connection without ending that DATA, and the
    second message goes over a new connection, delivered once."""
    srv = smtp_server(pipelining=True, data_reply="421 4.3.2 Shutting down",
                      data_reply_first=1, close_after_reply=server_closes)
    p1, b1 = message(tmp_path, "m1.eml", "deferred")
    p2, b2 = message(tmp_path, "m2.eml", "accepted")
    out, _ = run(srv, [p1, p2])
    assert len(out) == 2, out
    assert status(out[0]) == ("tempfail", 421), out
    assert queued(out[1], 1), out
    assert srv.messages() == [(FROM, [TO], b2)]
    assert [r["conn"] for r in srv.records()] == [2]
    assert srv.connection_count() == 2
    assert srv.ahead() == ["yes", "no"], srv.connections()
    # One body per connection: nothing of the second on the first.
    assert srv.bodies() == [(1, len(b1)), (2, len(b2))]
    mails = [conn_of(l) for l in srv.commands("MAIL")]
    if server_closes:
        assert mails == [1, 2]          # what went ahead was discarded
    else:
        # The server reads what went ahead until the client's close
        # cuts it short.
        assert mails in ([1, 2], [1, 1, 2]), srv.connections()
    assert [conn_of(l) for l in srv.commands("QUIT")] == [2]
    assert ("1 SHUTDOWN" in srv.connections()) == server_closes


def test_final_reply_past_the_timeout_drops_the_envelope_sent_ahead(
        smtp_server, tmp_path):
    """The first final reply comes after the client's timeout: that
    message is in doubt; the envelope sent behind it is lost with the
    connection, and the second message goes over a new one, once, with
    its own outcome (the reply to its own "."; the late reply to the
    first one, if it came, is not taken for it)."""
    srv = smtp_server(pipelining=True, delay=3, delay_first=1,
                      delay_on=["DATA_END"])
    p1, b1 = message(tmp_path, "m1.eml", "slow")
    p2, b2 = message(tmp_path, "m2.eml", "accepted")
    t0 = time.monotonic()
    out, _ = run(srv, [p1, p2], timeout=1)
    assert time.monotonic() - t0 < 3
    assert status(out[0])[0] == "tempfail", out
    assert out[1] == "in_doubt", out
    assert len(out) == 3, out
    time.sleep(3)                   # the late reply's time, and past it
    got = [m[2] for m in srv.messages()]
    assert got.count(b2) == 1, srv.connections()
    # "queued as" the server's number for the second message itself.
    assert queued(out[2], got.index(b2) + 1), out
    assert srv.records()[got.index(b2)]["conn"] == 2
    assert srv.connection_count() == 2
    # The second's envelope came behind the first "." (the server, busy
    # delaying, never read it); it was then sent again on connection 2.
    assert srv.ahead() == ["yes", "no"], srv.connections()
    assert [conn_of(l) for l in srv.commands("MAIL")] == [1, 2]
    assert [c for c, _ in srv.bodies()] == [1, 2]
    assert [conn_of(l) for l in srv.commands("QUIT")] == [2]


def test_drop_after_the_data_drops_the_envelope_sent_ahead(smtp_server,
                                                           tmp_path):
    """The connection drops after the first message's data, before its
    reply: that message is in doubt, the second goes over a new
    connection, once."""
    srv = smtp_server(pipelining=True, drop_after_data=1)
    p1, b1 = message(tmp_path, "m1.eml", "dropped")
    p2, b2 = message(tmp_path, "m2.eml", "accepted")
    out, _ = run(srv, [p1, p2])
    assert out[:2] == [out[0], "in_doubt"] and len(out) == 3, out
    assert status(out[0]) == ("tempfail", 0), out
    assert queued(out[2], 1), out
    assert srv.messages() == [(FROM, [TO], b2)]
    assert [r["conn"] for r in srv.records()] == [2]
    assert srv.connection_count() == 2
    assert srv.bodies() == [(1, len(b1)), (2, len(b2))]
    assert srv.ahead() == ["yes", "no"], srv.connections()
    assert [conn_of(l) for l in srv.commands("MAIL")] == [1, 2]
    assert [conn_of(l) for l in srv.commands("QUIT")] == [2]


# --- across messages, with the real binary ----------------------------------

def pipelining_box(box, srv, n):
    """n due reports with stored PDFs spooled by send, [smtp] pointing at
    srv; returns the Message-Ids of the spooled messages."""
    box.write_conf("[smtp]\nurl = %s\ntls = none\ntimeout = 10\n" % srv.url)
    box.spool_due(n)
    assert len(box.queue()) == n
    return {box.read_spool(name)[0]["Message-Id"] for name in box.queue()}


def message_ids(srv):
    return [email.message_from_bytes(raw)["Message-ID"]
            for _, _, raw in srv.messages()]


def queue_lines(box):
    r = box.run("queue")
    assert r.returncode == 0, r.stderr
    return [line.split("\t") for line in r.stdout.splitlines()]


def test_flush_pipelines_across_messages(box, smtp_server):
    """send, then flush of 5 reports: each envelope behind the previous
    message's data, every message delivered once over one connection that
    ends with one QUIT, the queue empty."""
    srv = smtp_server(pipelining=True)
    expected = pipelining_box(box, srv, 5)
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    ids = message_ids(srv)
    assert len(ids) == 5 and set(ids) == expected, ids
    assert srv.ahead() == ["yes"] * 4 + ["no"], srv.connections()
    assert srv.connection_count() == 1
    assert len(srv.commands("MAIL")) == 5
    assert len(srv.bodies()) == 5
    assert [conn_of(l) for l in srv.commands("QUIT")] == [1]
    assert srv.early() == []
    assert box.queue() == []
    assert queue_lines(box) == []


def test_flush_max_never_sends_the_next_envelope(box, smtp_server):
    """--max 2 of 4: two tried, the third not even claimed: its envelope
    never goes ahead (two MAILs); the other two stay queued, untried, and
    the next flush delivers them."""
    srv = smtp_server(pipelining=True)
    expected = pipelining_box(box, srv, 4)
    r = box.run("flush", "--now", NOW_ARG, "--max", "2")
    assert r.returncode == 0, r.stderr
    first = message_ids(srv)
    assert len(first) == 2 and len(set(first)) == 2, first
    assert len(srv.commands("MAIL")) == 2, srv.connections()
    assert srv.ahead() == ["yes", "no"], srv.connections()
    assert len(srv.bodies()) == 2
    assert [conn_of(l) for l in srv.commands("QUIT")] == [1]
    left = queue_lines(box)
    assert len(box.queue()) == 2 and len(left) == 2, left
    assert [(l[4], l[5]) for l in left] == [("queued", "0")] * 2, left
    assert {box.read_spool(n)[0]["Message-Id"] for n in box.queue()} == \
        expected - set(first)
    r = box.run("flush", "--now", NOW_ARG)
    assert r.returncode == 0, r.stderr
    ids = message_ids(srv)
    assert len(ids) == 4 and set(ids) == expected, ids
    assert box.queue() == []


def test_stop_during_a_message_never_delivers_the_one_sent_ahead(
        box, smtp_server):
    """The daemon gets SIGTERM while the first message's final reply is
    awaited: that message gets its reply and is delivered; the second,
    whose envelope went ahead, must not be: the connection is closed
    inside its DATA, without a body (no QUIT, which the server would take
    for a line of the message).  Both others stay queued, untried; a
    flush delivers them, once."""
    srv = smtp_server(pipelining=True, delay=3, delay_first=1,
                      delay_on=["DATA_END"])
    box.write_conf("[smtp]\nurl = %s\ntls = none\ntimeout = 10\n" % srv.url)
    box.initdb()
    for i in range(3):
        box.add_pdf("r%d.pdf" % i)
        box.add(pdf_path="r%d.pdf" % i, scheduled_at=now_utc(-60))
    argv = box.cmd("daemon", "--interval", "3600")
    argv.insert(argv.index("-c"), "-v")
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=run_env(), cwd=box.root, text=True)
    try:
        # The first body is in; its reply is 3 s away.
        assert wait_for(lambda: len(srv.bodies()) == 1, timeout=30), \
            srv.connections()
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    [first] = message_ids(srv)
    assert srv.ahead() == ["yes"], srv.connections()
    # The second's envelope went ahead and got DATA's 354; no body.
    assert [conn_of(l) for l in srv.commands("DATA")] == [1, 1]
    assert [c for c, _ in srv.bodies()] == [1]
    assert srv.commands("QUIT") == []
    left = queue_lines(box)
    assert [(l[4], l[5]) for l in left] == [("queued", "0")] * 2, left
    r = box.run("flush")
    assert r.returncode == 0, r.stderr
    ids = message_ids(srv)
    assert len(ids) == 3 and len(set(ids)) == 3, ids
    assert box.queue() == []
