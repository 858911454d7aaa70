"""A minimal SMTP server on loopback for the crash explorer, in a thread of
the explorer itself: plain SMTP, no TLS, no AUTH; PIPELINING offered, as
the relays flush meets do (its commands are read in order from a buffered
stream), so the states explored are those of a pipelined flush.

It accepts every message but those with a recipient in `refuse`, which
get a 554 after the body (moved to failed/ by flush); a recipient in
`refuse_rcpt` gets a 550 to its RCPT, the others the message.  The reply to an
accepted message names it ("250 2.0.0 crashsink-accepted <message-id>"),
so that the trace of the client shows the instant it learnt the message
was delivered (fsmodel's accept operation).
"""

import re
import socketserver
import threading

ACCEPT_RE = re.compile(r"250 2\.0\.0 crashsink-accepted <([^>\r\n]+)>")
MSGID_RE = re.compile(rb"^Message-ID:\s*<([^>\r\n]+)>", re.I | re.M)


class _Handler(socketserver.StreamRequestHandler):
    def reply(self, text):
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        sink = self.server.sink
        self.reply("220 crashsink ESMTP")
        mail_from, rcpts = None, []
        while True:
            line = self.rfile.readline(65536)
            if not line:
                return
            cmd = line.decode("latin-1").rstrip("\r\n")
            verb = cmd.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-crashsink\r\n250-PIPELINING\r\n250 8BITMIME")
            elif verb == "MAIL":
                mail_from = cmd[10:].split(">")[0].lstrip("<")
                rcpts = []
                self.reply("250 2.1.0 OK")
            elif verb == "RCPT":
                rcpt = cmd[8:].split(">")[0].lstrip("<")
                if rcpt in sink.refuse_rcpt:
                    self.reply("550 5.1.1 <%s>: no such mailbox" % rcpt)
                    continue
                rcpts.append(rcpt)
                self.reply("250 2.1.5 OK")
            elif verb == "DATA":
                self.reply("354 go on")
                data = bytearray()
                while True:
                    chunk = self.rfile.readline(1 << 20)
                    if not chunk:
                        return
                    if chunk == b".\r\n":
                        break
                    if chunk.startswith(b"."):
                        chunk = chunk[1:]
                    data += chunk
                m = MSGID_RE.search(bytes(data))
                msgid = m.group(1).decode() if m else None
                if any(r in sink.refuse for r in rcpts):
                    sink.add("refused", msgid, mail_from, rcpts, data)
                    self.reply("554 5.7.1 refused by the crash test")
                else:
                    sink.add("accepted", msgid, mail_from, rcpts, data)
                    self.reply("250 2.0.0 crashsink-accepted <%s>" % msgid)
                mail_from, rcpts = None, []
            elif verb == "RSET":
                mail_from, rcpts = None, []
                self.reply("250 2.0.0 OK")
            elif verb == "NOOP":
                self.reply("250 2.0.0 OK")
            elif verb == "QUIT":
                self.reply("221 2.0.0 bye")
                return
            else:
                self.reply("502 5.5.2 not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class Sink:
    def __init__(self, refuse=(), refuse_rcpt=()):
        self.refuse = set(refuse)
        self.refuse_rcpt = set(refuse_rcpt)
        self.lock = threading.Lock()
        self.messages = []
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.sink = self
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def add(self, outcome, msgid, mail_from, rcpts, data):
        with self.lock:
            self.messages.append({"outcome": outcome, "message_id": msgid,
                                  "mail_from": mail_from,
                                  "rcpts": list(rcpts), "data": bytes(data)})

    def take(self):
        """The messages received since the last take()."""
        with self.lock:
            out, self.messages = self.messages, []
        return out

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
