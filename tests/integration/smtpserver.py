#!/usr/bin/python3
"""A real SMTP server for the integration tests, on aiosmtpd (Debian 1.4.3).

Run as a subprocess (smtpfixture.py does it):

    smtpserver.py --dir DIR [--host 127.0.0.1] [--port 0]
                  [--cert PEM --key PEM [--implicit-tls]]
                  [--auth-user USER --auth-password-file FILE [--auth-required]]

Everything it shares with the test lives in DIR:

    DIR/port             the bound port, written (atomically) once listening
    DIR/mode.json        fault switches, re-read before every command; the
                         test rewrites it atomically (see MODE KEYS)
    DIR/connections.log  one line per connection ("<n> CONNECT <peer>"), one
                         per command ("<n> <PLAIN|TLS> <COMMAND> <argument>";
                         AUTH shows the mechanism only, never credentials),
                         "<n> CLOSE" at the end
    DIR/messages/*.json  one file per accepted message, written atomically:
                         {"mail_from", "rcpts", "data" (base64 of the raw
                         bytes, dot-unstuffed, CRLF kept), "conn", "tls",
                         "auth_user"}

With --cert/--key it offers STARTTLS; with --implicit-tls the whole
connection is TLS (smtps).  With --auth-user, AUTH PLAIN and LOGIN are
offered, after STARTTLS only (aiosmtpd's auth_require_tls; with implicit TLS
the connection is already encrypted).

MODE KEYS (all optional; absent means "accept"):
    rcpt_reply      "451 4.3.0 Try later": the reply to RCPT TO ...
    rcpt_match      ... for these addresses only (a list); absent: for all
    mail_reply      the reply to MAIL FROM
    data_cmd_reply  the reply to the DATA command itself (before 354)
    data_reply      the reply after the message body (not recorded unless 2xx)
    data_reply_first
                    N: give data_reply only to the first N messages whose
                    body came in (this server's life); the later ones are
                    accepted
    drop_after_data true: close the connection once the body is in, before
                    any reply (the message is not recorded); a number N:
                    only for the first N messages of this server's life
    delay           seconds to sleep before replying ...
    delay_on        ... to these commands: a list of "EHLO", "MAIL", "RCPT",
                    "DATA", "DATA_END" (the reply to the final "."); default
                    ["DATA_END"]
    delay_first     N: delay only the first N replies to the final "." of
                    this server's life (the others come at once)
    mail_reply_first, rcpt_reply_first, data_cmd_reply_first
                    N: give that reply only to the first N commands it
                    applies to in this server's life (for RCPT: the
                    matching addresses); the later ones are accepted
    close_after_reply
                    true: after a reply of mail_reply, rcpt_reply,
                    data_cmd_reply or data_reply, close the connection as
                    a server does after a 421: end our side (FIN), discard
                    what the client still sends, until it closes
                    ("<n> SHUTDOWN")
    ehlo_reply      the reply to EHLO and HELO (e.g. "554 go away")
    pipelining      true: the EHLO reply also lists PIPELINING (RFC 2920);
                    read at EHLO: what the client was told holds for the
                    session
    silent          true: accept the connection and never say a word (no
                    greeting, no reply), until the client closes it

PIPELINING, as seen from here (lines of connections.log):
    "<n> PIPELINED yes|no <lines>"   with PIPELINING offered, once per MAIL:
                    up to 1.5 s before answering MAIL the server waits for
                    a "DATA" line in its input buffer; "yes" when it came
                    (the client sent MAIL..DATA without waiting for a
                    reply), "no" when not; <lines>: the complete command
                    lines then waiting behind MAIL
    "<n> AHEAD yes|no <lines>"       with PIPELINING offered, once per
                    final "." received, before any delay, drop or reply
                    to it: "yes" when a complete MAIL line was already
                    waiting in the input buffer (the client sent the next
                    message's envelope behind this one's end of data,
                    RFC 2920 3.1), "no" when none came within AHEAD_WAIT;
                    <lines>: the complete command lines then waiting
                    (MAIL, RCPTs, DATA)
    "<n> EARLY <COMMAND> <bytes>"    bytes the client had already sent
                    when the server was about to answer COMMAND: it did not
                    wait for the reply where it must.  Without PIPELINING:
                    EHLO, HELO, MAIL, RCPT, DATA (the 354: the body came
                    before it), DATA_END (the reply to the final "."), RSET,
                    NOOP.  With PIPELINING only the commands that must end
                    a group (RFC 2920 3.1): EHLO, HELO, DATA, NOOP.

"<n> BODY <bytes>"  the final "." is in: the message's <bytes> (dot-
                    unstuffed) arrived, before any delay, drop or reply.
                    A DATA that got its 354 but no BODY line: the client
                    closed the connection without ending the data.

Listens on loopback only.  Stopped with SIGTERM by its PID.
"""

import argparse
import asyncio
import base64
import json
import os
import signal
import ssl
import sys
import time
import types

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

LOOPBACK = ("127.0.0.1", "::1", "localhost")

# How long MAIL waits for the rest of a pipelined group (see PIPELINED).
PIPELINED_WAIT = 1.5
# How long, a final "." read, the server looks for the next envelope
# (AHEAD): it comes in the same write as the ".", so at once if at all.
AHEAD_WAIT = 0.3
# The replies before which the client must have sent nothing more (EARLY):
# every one without PIPELINING; with it, those of the commands that must
# end a group (RFC 2920 3.1).
LOCKSTEP_REPLIES = {"EHLO", "HELO", "MAIL", "RCPT", "DATA", "DATA_END",
                    "RSET", "NOOP"}
GROUP_END_REPLIES = {"EHLO", "HELO", "DATA", "NOOP"}


def write_atomic(path, data):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class State:
    """What every connection shares: the directory and counters."""

    def __init__(self, directory):
        self.dir = directory
        self.msgdir = os.path.join(directory, "messages")
        os.makedirs(self.msgdir, exist_ok=True)
        self.log = open(os.path.join(directory, "connections.log"), "a",
                        buffering=1)
        self.nconn = 0
        self.nmsg = 0
        self.ndrop = 0
        self.ndelayed = 0
        self.nfault = {}        # mode key: replies given (the *_first keys)

    def logline(self, text):
        self.log.write(text + "\n")
        self.log.flush()

    def mode(self):
        try:
            with open(os.path.join(self.dir, "mode.json")) as f:
                return json.load(f)
        except FileNotFoundError:
            return {}


class Handler:
    def __init__(self, state):
        self.state = state

    async def handle_EHLO(self, server, session, envelope, hostname,
                          responses):
        # With this hook aiosmtpd leaves the session's name to it.
        session.host_name = hostname
        if server.pipelining_offered:
            responses.insert(len(responses) - 1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        match = server.mode.get("rcpt_match")
        if match is None or address in match:
            reply = server.fault("rcpt_reply")
            if reply:
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_MAIL(self, server, session, envelope, address,
                          mail_options):
        reply = server.fault("mail_reply")
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        server.reply_for = "DATA_END"
        server.state.logline("%d BODY %d" % (
            server.conn_id, len(envelope.original_content)))
        if server.pipelining_offered:
            await server._note_ahead()
        mode = server.mode
        first = mode.get("delay_first")
        if "DATA_END" in mode.get("delay_on", ["DATA_END"]) and (
                first is None or self.state.ndelayed < first):
            self.state.ndelayed += 1
            await asyncio.sleep(float(mode.get("delay", 0)))
        drop = mode.get("drop_after_data")
        if drop is True or (type(drop) is int and self.state.ndrop < drop):
            self.state.ndrop += 1
            server.state.logline("%d DROP" % server.conn_id)
            server.transport.abort()
            await asyncio.sleep(3600)   # cancelled by connection_lost
        reply = server.fault("data_reply")
        if reply and not reply.startswith("2"):
            return reply
        st = self.state
        st.nmsg += 1
        record = {
            "mail_from": envelope.mail_from,
            "rcpts": list(envelope.rcpt_tos),
            "data": base64.b64encode(envelope.original_content).decode(),
            "conn": server.conn_id,
            "tls": server.is_tls(),
            "auth_user": (session.login_data.decode(errors="replace")
                          if isinstance(session.login_data, bytes)
                          else session.login_data),
        }
        name = "%020d-%06d.json" % (time.time_ns(), st.nmsg)
        write_atomic(os.path.join(st.msgdir, name),
                     json.dumps(record).encode())
        return reply or "250 2.0.0 OK queued as M%d" % st.nmsg


class Authenticator:
    def __init__(self, user, password):
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == self.user
              and auth_data.password == self.password)
        if ok:
            # Only the user name is kept, for the message record.
            return AuthResult(success=True,
                              auth_data=types.SimpleNamespace(login=self.user))
        return AuthResult(success=False, handled=False)


class TestSMTP(SMTP):
    """aiosmtpd's SMTP, logging every command and reading the mode file."""

    state = None
    reply_for = None            # the command whose reply comes next (EARLY)
    pipelining_offered = False  # by the last EHLO
    close_after = False         # close once this reply is out
    closing = False             # our side ended: the client's bytes dropped

    def connection_made(self, transport):
        self.pipelining_offered = False     # again after STARTTLS
        if self.transport is None:      # not the STARTTLS re-entry
            self.state.nconn += 1
            self.conn_id = self.state.nconn
            self.state.logline("%d CONNECT %s" % (
                self.conn_id, transport.get_extra_info("peername")))
            if self.state.mode().get("silent"):
                # Accepted, then nothing: aiosmtpd never starts.
                self._silent_transport = transport
                self.state.logline("%d SILENT" % self.conn_id)
                return
        super().connection_made(transport)

    def data_received(self, data):
        if self.closing:
            return
        if getattr(self, "_silent_transport", None) is None:
            super().data_received(data)

    def eof_received(self):
        if getattr(self, "_silent_transport", None) is None:
            return super().eof_received()
        return False                    # close our side too

    def connection_lost(self, error):
        if not getattr(self, "_close_logged", False):
            self._close_logged = True
            self.state.logline("%d CLOSE" % self.conn_id)
        if getattr(self, "_silent_transport", None) is not None:
            self._silent_transport = None
            return
        super().connection_lost(error)

    def is_tls(self):
        if self._tls_protocol is not None:
            return True
        t = self.transport
        return t is not None and t.get_extra_info("ssl_object") is not None

    def fault(self, key):
        """The mode's reply for key ("mail_reply", ...), or None once its
        "<key>_first" replies are given; arms close_after_reply."""
        reply = self.mode.get(key)
        if not reply:
            return None
        first = self.mode.get(key + "_first")
        if first is not None:
            given = self.state.nfault.get(key, 0)
            if given >= first:
                return None
            self.state.nfault[key] = given + 1
        if self.mode.get("close_after_reply"):
            self.close_after = True
        return reply

    def waiting(self):
        """The bytes the client sent that no command has read yet."""
        return bytes(self._reader._buffer)

    async def _note_pipelined(self):
        """PIPELINED: did the client send DATA along with this MAIL?"""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PIPELINED_WAIT
        while True:
            waiting = self.waiting()
            found = b"\nDATA\r\n" in b"\n" + waiting.upper()
            if found or loop.time() >= deadline:
                break
            await asyncio.sleep(0.005)
        self.state.logline("%d PIPELINED %s %d" % (
            self.conn_id, "yes" if found else "no", waiting.count(b"\n")))

    async def _note_ahead(self):
        """AHEAD: did the next envelope come behind the final "."?"""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + AHEAD_WAIT
        while True:
            lines = self.waiting().split(b"\n")[:-1]     # complete ones
            found = any(l.upper().startswith(b"MAIL ") for l in lines)
            if found or loop.time() >= deadline:
                break
            await asyncio.sleep(0.005)
        self.state.logline("%d AHEAD %s %d" % (
            self.conn_id, "yes" if found else "no", len(lines)))

    async def _note_early(self):
        """EARLY: the client sent more before the reply it had to wait
        for."""
        command, self.reply_for = self.reply_for, None
        watched = (GROUP_END_REPLIES if self.pipelining_offered
                   else LOCKSTEP_REPLIES)
        if command not in watched:
            return
        # Twice: the first turn of the loop reads what the kernel holds,
        # the second hands it to the reader.
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        n = len(self._reader._buffer)
        if n:
            self.state.logline("%d EARLY %s %d" % (self.conn_id, command, n))

    async def push(self, status):
        await self._note_early()
        await super().push(status)
        if self.close_after:
            self.close_after = False
            self.closing = True
            self.state.logline("%d SHUTDOWN" % self.conn_id)
            if self.transport.can_write_eof():
                self.transport.write_eof()
            else:
                self.transport.close()
            # Until the client closes (eof_received cancels this) or the
            # idle timeout.
            await asyncio.sleep(3600)

    async def _before(self, command, arg):
        """Logs the command, notes PIPELINED and applies the mode's delay
        to it."""
        self.mode = self.state.mode()
        self.reply_for = command
        shown = arg or ""
        if command == "AUTH":
            shown = shown.split(" ")[0]     # the mechanism, never the data
        self.state.logline("%d %s %s %s" % (
            self.conn_id, "TLS" if self.is_tls() else "PLAIN", command,
            shown))
        if command == "MAIL" and self.pipelining_offered:
            await self._note_pipelined()
        if command in self.mode.get("delay_on", ["DATA_END"]):
            await asyncio.sleep(float(self.mode.get("delay", 0)))

    async def smtp_EHLO(self, arg):
        await self._before("EHLO", arg)
        self.pipelining_offered = False
        reply = self.mode.get("ehlo_reply")
        if reply:
            await self.push(reply)
            return
        self.pipelining_offered = bool(self.mode.get("pipelining")) and \
            bool(arg)
        await super().smtp_EHLO(arg)

    async def smtp_HELO(self, arg):
        await self._before("HELO", arg)
        self.pipelining_offered = False
        reply = self.mode.get("ehlo_reply")
        if reply:
            await self.push(reply)
            return
        await super().smtp_HELO(arg)

    async def smtp_STARTTLS(self, arg):
        await self._before("STARTTLS", arg)
        await super().smtp_STARTTLS(arg)

    async def smtp_AUTH(self, arg):
        await self._before("AUTH", arg)
        await super().smtp_AUTH(arg)

    async def smtp_MAIL(self, arg):
        await self._before("MAIL", arg)
        await super().smtp_MAIL(arg)

    async def smtp_RCPT(self, arg):
        await self._before("RCPT", arg)
        await super().smtp_RCPT(arg)

    async def smtp_DATA(self, arg):
        await self._before("DATA", arg)
        reply = self.fault("data_cmd_reply")
        if reply:
            await self.push(reply)
            return
        await super().smtp_DATA(arg)

    async def smtp_RSET(self, arg):
        await self._before("RSET", arg)
        await super().smtp_RSET(arg)

    async def smtp_NOOP(self, arg):
        await self._before("NOOP", arg)
        await super().smtp_NOOP(arg)

    async def smtp_QUIT(self, arg):
        await self._before("QUIT", arg)
        await super().smtp_QUIT(arg)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--implicit-tls", action="store_true")
    ap.add_argument("--tls-min", choices=["1.2", "1.3"],
                    help="the oldest TLS version accepted")
    ap.add_argument("--auth-user")
    ap.add_argument("--auth-password-file")
    ap.add_argument("--auth-required", action="store_true")
    args = ap.parse_args()
    if args.host not in LOOPBACK:
        sys.exit("smtpserver.py: loopback addresses only")

    state = State(args.dir)
    TestSMTP.state = state
    ctx = None
    if args.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.cert, args.key)
        if args.tls_min == "1.3":
            ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        elif args.tls_min == "1.2":
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    kwargs = {"hostname": "test.smtp.invalid", "timeout": 60}
    if args.auth_user:
        with open(args.auth_password_file) as f:
            password = f.readline().rstrip("\r\n")
        kwargs["authenticator"] = Authenticator(args.auth_user, password)
        kwargs["auth_required"] = args.auth_required
        # With implicit TLS aiosmtpd does not know the link is encrypted.
        kwargs["auth_require_tls"] = not args.implicit_tls
    if ctx is not None and not args.implicit_tls:
        kwargs["tls_context"] = ctx

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    handler = Handler(state)

    def factory():
        return TestSMTP(handler, loop=loop, **kwargs)

    server = loop.run_until_complete(loop.create_server(
        factory, host=args.host, port=args.port,
        ssl=ctx if args.implicit_tls else None))
    port = server.sockets[0].getsockname()[1]
    write_atomic(os.path.join(args.dir, "port"), b"%d\n" % port)
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    loop.add_signal_handler(signal.SIGINT, loop.stop)
    try:
        loop.run_forever()
    finally:
        server.close()
        state.log.close()


if __name__ == "__main__":
    main()
