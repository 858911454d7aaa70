"""flush over 1,000 queued messages with 50 KB attachments, against msmtp
invoked once per message on the same queue (what msmtp's queue scripts
do), both to the same local SMTP server (aiosmtpd, tests/integration/
smtpserver.py), side by side in one run.  Prints times and the ratio."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import bench_send  # noqa: E402
from smtpfixture import start_smtp_server  # noqa: E402

BIN = os.environ["SENDREPORTS_BIN"]
MSMTP = shutil.which("msmtp") or "/usr/bin/msmtp"
ENV = {"PATH": "/usr/bin:/bin", "TZ": "UTC", "LC_ALL": "C"}


def spool_box(root, url):
    bench_send.make_box(root)
    with open(os.path.join(root, "sendreports.ini"), "a") as f:
        f.write("[smtp]\nurl = %s\ntls = none\n" % url)
    r = subprocess.run([BIN, "-c", "sendreports.ini", "send", "--now",
                        bench_send.NOW], cwd=root, env=ENV,
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("bench: send failed: " + r.stderr)


def msmtp_queue(queue, host, port):
    """One msmtp per message: envelope from the spool file's header."""
    n = 0
    for name in sorted(os.listdir(queue)):
        path = os.path.join(queue, name)
        with open(path, "rb") as f:
            data = f.read()
        head, _, body = data.partition(b"\r\n\r\n")
        sender, rcpts = None, []
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.decode().partition(": ")
            if k == "Sender":
                sender = v
            elif k == "Recipient":
                rcpts.append(v)
        r = subprocess.run([MSMTP, "--host=%s" % host, "--port=%d" % port,
                            "--auth=off", "--tls=off", "-f", sender, "--"]
                           + rcpts, input=body, env=ENV,
                           capture_output=True)
        if r.returncode != 0:
            sys.exit("bench: msmtp failed: %s" % r.stderr.decode())
        os.unlink(path)
        n += 1
    return n


def main():
    top = tempfile.mkdtemp(prefix="bench-flush-")
    servers = []
    try:
        srv_a = start_smtp_server(os.path.join(top, "smtpd-a"))
        srv_b = start_smtp_server(os.path.join(top, "smtpd-b"))
        servers = [srv_a, srv_b]
        a, b = os.path.join(top, "a"), os.path.join(top, "b")
        spool_box(a, srv_a.url)
        spool_box(b, srv_b.url)
        n = len(os.listdir(os.path.join(a, "spool", "queue")))

        t0 = time.monotonic()
        r = subprocess.run(["/usr/bin/time", "-f", "%M", BIN, "-c",
                            "sendreports.ini", "flush", "--now",
                            bench_send.NOW], cwd=a, env=ENV,
                           capture_output=True, text=True)
        wall_c = time.monotonic() - t0
        if r.returncode != 0:
            sys.exit("bench: flush failed: " + r.stderr)
        rss = int(r.stderr.strip().splitlines()[-1])
        got = len(srv_a.records())
        if got != n or os.listdir(os.path.join(a, "spool", "queue")):
            sys.exit("bench: flush delivered %d of %d" % (got, n))

        t0 = time.monotonic()
        done = msmtp_queue(os.path.join(b, "spool", "queue"), srv_b.host,
                           srv_b.port)
        wall_m = time.monotonic() - t0
        if len(srv_b.records()) != done:
            sys.exit("bench: msmtp delivered %d of %d"
                     % (len(srv_b.records()), done))

        print("flush: %d queued messages, %d KB attachments, local "
              "aiosmtpd server" % (n, bench_send.PDF_BYTES // 1024))
        print("  sendreports flush (one connection) %7.2f s  %6.1f msg/s  "
              "peak RSS %.1f MB" % (wall_c, n / wall_c, rss / 1024))
        print("  msmtp, once per message            %7.2f s  %6.1f msg/s"
              % (wall_m, done / wall_m))
        print("  ratio msmtp / sendreports: %.1fx" % (wall_m / wall_c))
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    main()
