#!/usr/bin/python3
"""demo-sink.py DIR - the demo's mail server: a real SMTP server (Debian's
aiosmtpd) on 127.0.0.1 that keeps every message it accepts as DIR/NNN.eml
and delivers nothing further.  It writes its port to DIR/port once it
listens, and stops on SIGTERM (the demo stops it by its PID).

    demo-sink.py --summary DIR    prints what it received: one block per
                                  message (envelope, subject, attachments)
"""
import asyncio
import email
import email.policy
import glob
import os
import signal
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, directory):
        self.dir = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = os.path.join(self.dir, "%03d.eml" % self.count)
        head = "X-Envelope-From: <%s>\r\nX-Envelope-To: %s\r\n" % (
            envelope.mail_from,
            ", ".join("<%s>" % r for r in envelope.rcpt_tos))
        with open(path + ".tmp", "wb") as f:
            f.write(head.encode() + envelope.original_content)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 Ok: kept as %s" % os.path.basename(path)


def serve(directory):
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    sink = Sink(directory)
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(sink, hostname="demo-sink.invalid", loop=loop),
        host="127.0.0.1", port=0))
    port = server.sockets[0].getsockname()[1]
    with open(os.path.join(directory, "port.tmp"), "w") as f:
        f.write("%d\n" % port)
    os.rename(os.path.join(directory, "port.tmp"),
              os.path.join(directory, "port"))
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    try:
        loop.run_forever()
    finally:
        server.close()


def summary(directory):
    files = sorted(glob.glob(os.path.join(directory, "*.eml")))
    if not files:
        print("(nothing was received)")
    for path in files:
        with open(path, "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        print("%s" % os.path.basename(path))
        print("  to:      %s" % msg["X-Envelope-To"])
        print("  subject: %s" % msg["Subject"])
        for part in msg.iter_attachments():
            size = len(part.get_payload(decode=True))
            print("  attached %s (%s, %d bytes)" % (
                part.get_filename(), part.get_content_type(), size))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--summary":
        summary(sys.argv[2])
    elif len(sys.argv) == 2:
        serve(sys.argv[1])
    else:
        sys.exit("usage: demo-sink.py DIR | --summary DIR")
