"""The flush: N queued ~69 KB messages to a loopback sink.

The queue is made by `sendreports send` from N due reports with stored
50 KB PDFs (bench_send.py's box), once; each repeat flushes a fresh copy
of it.  The sink is Postfix's smtp-sink, extracted from the postfix .deb
(bench/peers.sh), which takes each message and throws it away; its
counters (-c) tell how many messages each side delivered.  The warm-up
flush goes to a second smtp-sink that dumps each message (-d): those are
the bytes the peers send, so every side sends the same messages whatever
the spool's format.

Peers, all to the same sink:
  - Python's smtplib, one connection for all the messages
    (bench/peer_smtplib.py, under /usr/bin/python3);
  - msmtp, one process per message, as msmtp's queue scripts run it
    (extracted from its .deb with the libraries it lacks);
  - nullmailer-send, one-shot (pausetime 0) over a nullmailer queue of
    the same messages.  Its paths (/etc/nullmailer, /var/spool/nullmailer,
    /usr/lib/nullmailer) are compiled in, so it runs in a chroot made of
    the extracted package and the libraries it needs (ldd), never in the
    system's own paths.
msmtp and nullmailer take a process per message (~60 ms each here), so
they send SLOW_N messages per repeat, fewer repeats: rates compare.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib as bl  # noqa: E402
import bench_send  # noqa: E402

N = int(os.environ.get("BENCH_MESSAGES", "200" if bl.QUICK else "1000"))
SLOW_N = 50 if bl.QUICK else 200
REPEATS, WARMUP = (2, 0) if bl.QUICK else (7, 0)
SLOW_REPEATS = 2 if bl.QUICK else 3

SINK = os.path.join(bl.PEERS, "usr", "sbin", "smtp-sink")
MSMTP = os.path.join(bl.PEERS, "usr", "bin", "msmtp")
NULLMAILER = os.path.join(bl.PEERS, "usr", "sbin", "nullmailer-send")
NULLMAILER_SMTP = os.path.join(bl.PEERS, "usr", "lib", "nullmailer", "smtp")


class Sink:
    """One smtp-sink on 127.0.0.1, as nobody; counts (-c) or dumps (-d
    DIR) the messages.  Stopped by its PID."""

    def __init__(self, top, name, dump=None):
        self.port = bl.sink_port()
        self.log = os.path.join(top, name + ".out")
        # As root, smtp-sink must be told whom to run as.
        argv = [SINK] + (["-u", "nobody"] if os.geteuid() == 0 else []) + \
            ["-4", "-c"]
        if dump:
            argv += ["-d", os.path.join(dump, "%H%M%S.")]
        argv += ["127.0.0.1:%d" % self.port, "256"]
        self.out = open(self.log, "wb")
        self.proc = subprocess.Popen(argv, stdout=self.out,
                                     stderr=subprocess.STDOUT,
                                     env=bl.peer_env())
        bl.wait_port(self.port, self.proc)

    def messages(self):
        """Messages received so far (smtp-sink's counter line)."""
        with open(self.log, "rb") as f:
            text = f.read().decode("ascii", "replace")
        counts = [int(x) for x in re.findall(r"mesg=(\d+)", text)]
        return counts[-1] if counts else 0

    def stop(self):
        bl.stop(self.proc)
        self.out.close()


def read_dump(path):
    """One smtp-sink dump file: (sender, [recipients], message bytes).
    Its lines end in LF; SMTP's end in CRLF, so CRLF is put back."""
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    sender, rcpts, i = None, [], 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.startswith(b"X-Mail-Args: "):
            sender = line[13:].split()[0].decode()
        elif line.startswith(b"X-Rcpt-Args: "):
            rcpts.append(line[13:].split()[0].decode())
        elif line.startswith(b"Received: "):
            i += 2          # smtp-sink's own three-line Received header
            break
    body = lines[i:]
    # The dump ends with the message's last line, then an empty line.
    while body and body[-1] == b"":
        body.pop()
    return (strip_angle(sender), [strip_angle(r) for r in rcpts],
            b"\r\n".join(body) + b"\r\n")


def strip_angle(arg):
    """FROM:<a@b> or TO:<a@b> (smtp-sink keeps the whole argument)."""
    arg = arg.split(":", 1)[1] if ":" in arg else arg
    return arg.strip("<>")


def write_peer_input(dump, dest):
    """The dumped messages as files msg-K plus envelope.json, for the
    peers; the mean message size."""
    os.makedirs(dest)
    env, total = [], 0
    for k, path in enumerate(sorted(glob.glob(os.path.join(dump, "*")))):
        sender, rcpts, data = read_dump(path)
        name = "msg-%05d" % k
        with open(os.path.join(dest, name), "wb") as f:
            f.write(data)
        env.append([name, sender, rcpts])
        total += len(data)
    with open(os.path.join(dest, "envelope.json"), "w") as f:
        json.dump(env, f)
    return env, total / max(len(env), 1)


def nullmailer_root(root, port):
    """A chroot for nullmailer-send: the binaries from the .deb, the
    libraries they load (ldd), its configuration and an empty queue."""
    for d in ("usr/sbin", "usr/lib/nullmailer", "etc/nullmailer", "dev",
              "var/spool/nullmailer/queue", "var/spool/nullmailer/tmp",
              "var/spool/nullmailer/failed"):
        os.makedirs(os.path.join(root, d))
    shutil.copy2(NULLMAILER, os.path.join(root, "usr/sbin"))
    shutil.copy2(NULLMAILER_SMTP, os.path.join(root, "usr/lib/nullmailer"))
    for exe in (NULLMAILER, NULLMAILER_SMTP):
        r = subprocess.run(["ldd", exe], capture_output=True, text=True,
                           env=bl.peer_env())
        for line in r.stdout.splitlines():
            f = line.split()
            lib = f[2] if "=>" in f and len(f) > 2 and f[2].startswith("/") \
                else (f[0] if f and f[0].startswith("/") else None)
            if lib is None:
                continue
            dest = os.path.join(root, lib.lstrip("/"))
            if not os.path.exists(dest):
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                shutil.copy(lib, dest)
    os.mknod(os.path.join(root, "dev", "null"), 0o666 | 0o020000,
             os.makedev(1, 3))
    os.mkfifo(os.path.join(root, "var/spool/nullmailer/trigger"))
    conf = {"etc/nullmailer/remotes": "127.0.0.1 smtp port=%d\n" % port,
            "etc/nullmailer/pausetime": "0\n",
            "etc/nullmailer/helohost": "bench.example.com\n",
            "etc/mailname": "bench.example.com\n"}
    for name, text in conf.items():
        with open(os.path.join(root, name), "w") as f:
            f.write(text)


def nullmailer_fill(root, peer_in, env, count):
    """count messages in nullmailer's queue format: the sender, the
    recipients, an empty line, the message; lines end in LF."""
    queue = os.path.join(root, "var/spool/nullmailer/queue")
    for k, (name, sender, rcpts) in enumerate(env[:count]):
        with open(os.path.join(peer_in, name), "rb") as f:
            data = f.read().replace(b"\r\n", b"\n")
        head = "\n".join([sender] + rcpts).encode() + b"\n\n"
        with open(os.path.join(queue, "%d.%05d" % (1700000000 + k, k)),
                  "wb") as f:
            f.write(head + data)


def main():
    for exe in (SINK, MSMTP, NULLMAILER):
        if not os.path.exists(exe):
            sys.exit("bench_flush: %s is missing: make bench fetches the "
                     "peers (bench/peers.sh)" % exe)
    top = bl.workdir("flush")
    sinks = []
    try:
        run(top, sinks)
    finally:
        for s in sinks:
            s.stop()
        shutil.rmtree(top, ignore_errors=True)


def run(top, sinks):
    # smtp-sink runs as nobody: it must reach its dump directory.
    os.chmod(top, 0o711)
    dump = os.path.join(top, "dump")
    os.mkdir(dump)
    os.chmod(dump, 0o777)
    sink = Sink(top, "sink")
    sinks.append(sink)
    capture = Sink(top, "capture", dump=dump)
    sinks.append(capture)

    template = bench_send.make_box(os.path.join(top, "template"), N,
                                   smtp_port=sink.port)
    template.run("send")
    queued = bl.tree_bytes(os.path.join(template.root, "spool", "queue"))

    counter = [0]

    def fresh(port):
        counter[0] += 1
        box = template.clone(os.path.join(top, "run%d" % counter[0]))
        if port != sink.port:
            with open(box.conf) as f:
                text = f.read()
            with open(box.conf, "w") as f:
                f.write(text.replace("127.0.0.1:%d" % sink.port,
                                     "127.0.0.1:%d" % port))
        return box

    # The warm-up flush, into the dumping sink: the peers' messages.
    box = fresh(capture.port)
    bl.runrss(box.argv("flush"), cwd=box.root)
    shutil.rmtree(box.root)
    if capture.messages() != N:
        raise bl.BenchError("the capture sink got %d of %d messages"
                            % (capture.messages(), N))
    capture.stop()
    sinks.remove(capture)
    peer_in = os.path.join(top, "peer-in")
    env, msg_bytes = write_peer_input(dump, peer_in)
    shutil.rmtree(dump)
    if len(env) != N:
        raise bl.BenchError("%d messages dumped, %d expected"
                            % (len(env), N))

    def delivered(fn, count):
        def side():
            before = sink.messages()
            runs = fn()
            got = sink.messages() - before
            if got != count:
                raise bl.BenchError("%d messages reached the sink, %d "
                                    "expected" % (got, count))
            return runs
        return side

    def ours():
        box = fresh(sink.port)
        runs = bl.runrss(box.argv("flush"), cwd=box.root)
        shutil.rmtree(box.root)
        return runs

    def smtplib():
        return bl.runrss([bl.PYTHON, os.path.join(HERE, "peer_smtplib.py"),
                          peer_in, "127.0.0.1", sink.port, N])

    res = bl.interleave([("sendreports", delivered(ours, N)),
                         ("smtplib", delivered(smtplib, N))],
                        REPEATS, WARMUP)

    # Where flush's system time goes: one more run under strace -f -c.
    box = fresh(sink.port)
    before = sink.messages()
    calls, secs = bl.strace_counts(box.argv("flush"), cwd=box.root)
    shutil.rmtree(box.root)
    if sink.messages() - before != N:
        raise bl.BenchError("flush under strace delivered %d of %d"
                            % (sink.messages() - before, N))

    # msmtp: one process per message, driven by a small Python loop.
    msmtprc = os.path.join(top, "msmtprc")
    with open(msmtprc, "w") as f:
        f.write("# empty: everything is on the command line\n")
    os.chmod(msmtprc, 0o600)

    def msmtp(count):
        return lambda: bl.runrss(
            [bl.PYTHON, os.path.join(HERE, "peer_msmtp.py"), MSMTP, msmtprc,
             peer_in, "127.0.0.1", sink.port, count],
            env=bl.peer_env(home=top))
    delivered(msmtp(10), 10)()                     # warm-up
    res["msmtp"] = bl.interleave([("msmtp", delivered(msmtp(SLOW_N),
                                                      SLOW_N))],
                                 SLOW_REPEATS, 0)["msmtp"]
    one = os.path.join(peer_in, env[0][0])
    msmtp_rss = bl.runrss([MSMTP, "-C", msmtprc, "--host=127.0.0.1",
                           "--port=%d" % sink.port, "--auth=off",
                           "--tls=off", "-f", env[0][1], "--"] + env[0][2],
                          stdin=one, env=bl.peer_env(home=top))

    # nullmailer-send, in its chroot (root only: chroot(2), mknod).
    if os.geteuid() == 0:
        run_nullmailer(top, sink, peer_in, env, delivered, res)
    report(res, msmtp_rss, queued, msg_bytes, calls, secs)


def run_nullmailer(top, sink, peer_in, env, delivered, res):
    nroot = os.path.join(top, "nullroot")
    nullmailer_root(nroot, sink.port)

    def nullmailer(count):
        def side():
            nullmailer_fill(nroot, peer_in, env, count)
            runs = bl.runrss(["chroot", nroot, "/usr/sbin/nullmailer-send"])
            left = os.listdir(os.path.join(nroot,
                                           "var/spool/nullmailer/queue"))
            if left:
                raise bl.BenchError("nullmailer-send left %d messages"
                                    % len(left))
            return runs
        return side
    delivered(nullmailer(10), 10)()                # warm-up
    res["nullmailer"] = bl.interleave(
        [("nullmailer", delivered(nullmailer(SLOW_N), SLOW_N))],
        SLOW_REPEATS, 0)["nullmailer"]


def report(res, msmtp_rss, queued, msg_bytes, calls, secs):
    counts = {"sendreports": N, "smtplib": N, "msmtp": SLOW_N,
              "nullmailer": SLOW_N}
    rate = {k: bl.rates(v, counts[k]) for k, v in res.items()}
    ours_rate = rate["sendreports"]
    labels = {"sendreports": "sendreports flush",
              "smtplib": "Python smtplib, one connection",
              "msmtp": "msmtp, one process per message",
              "nullmailer": "nullmailer-send (one smtp process per "
                            "message)"}
    rss = {k: "%.1f MB" % bl.peak_mb(v) for k, v in res.items()}
    rss["msmtp"] = "%.1f MB (one msmtp)" % bl.peak_mb(msmtp_rss)
    rows = []
    for k in ("sendreports", "smtplib", "msmtp", "nullmailer"):
        if k not in res:
            rows.append([labels[k], "skipped: its chroot needs root", "",
                         "", ""])
            continue
        rows.append([labels[k], "%d × %d" % (len(res[k]), counts[k]),
                     bl.cell_rate(rate[k]), rss[k],
                     "—" if k == "sendreports" else
                     bl.fmt_ratio(bl.ratio(ours_rate, rate[k]))])
    sec = bl.Section("Flush", """\
%d queued messages of %.1f KB (made by `send` from reports with stored
%d KB PDFs; %.1f MB of spool) to Postfix's `smtp-sink` on loopback,
which discards them and counts them (every run is checked against its
count). Each `flush` (%s build) runs on a fresh copy of the spool. The peers send
the very messages `flush` delivered, captured by a dumping smtp-sink in
the warm-up run. sendreports and smtplib take turns, %d repeats each;
msmtp and nullmailer, one process per message, send %d messages a run,
%d runs, after a 10-message warm-up.""" % (
        N, msg_bytes / 1024, bench_send.PDF_BYTES // 1024, queued / 1e6,
        bl.MAIN_NAME, REPEATS, SLOW_N, SLOW_REPEATS))
    sec.table(["side", "runs × messages", "messages/s", "peak RSS",
               "sendreports / side"], rows)
    syncs = sum(calls.get(k, (0, 0))[0] for k in bench_send.SYNCS)
    total = sum(secs.values()) or 1
    sec.para("sendreports flush, one more run under `strace -f -c`: %d "
             "system calls, %.1f per message, %.2f syncs per message; by "
             "system time: %s." % (
                 sum(c for c, _ in calls.values()),
                 sum(c for c, _ in calls.values()) / N, syncs / N,
                 ", ".join("%s %.0f%% (%d calls)" % (k, 100 * v / total,
                                                    calls[k][0])
                           for k, v in sorted(secs.items(),
                                              key=lambda kv: -kv[1])[:6])))
    sec.write()
    r = bl.ratio(ours_rate, rate["smtplib"])
    bl.summary("flush: %d × %.0f KB to a loopback sink" % (
        N, msg_bytes / 1024),
        "%s msg/s" % bl.fmt_rate(ours_rate.median),
        "smtplib %s msg/s; msmtp %s/s; nullmailer %s/s" % (
            bl.fmt_rate(rate["smtplib"].median),
            bl.fmt_rate(rate["msmtp"].median),
            bl.fmt_rate(rate["nullmailer"].median)
            if "nullmailer" in rate else "—"),
        bl.fmt_ratio(r) + " smtplib", "≥ 2× smtplib", r[0] >= 2)


if __name__ == "__main__":
    main()
