"""The msmtp peer of bench_flush.py: COUNT messages of DIR, one msmtp
process each, as msmtp's queue scripts (msmtpq) run it.

    peer_msmtp.py MSMTP RCFILE DIR HOST PORT COUNT
"""
import json
import os
import subprocess
import sys


def main():
    msmtp, rc, d, host, port, count = sys.argv[1:7]
    with open(os.path.join(d, "envelope.json")) as f:
        env = json.load(f)[:int(count)]
    for name, sender, rcpts in env:
        with open(os.path.join(d, name), "rb") as f:
            r = subprocess.run([msmtp, "-C", rc, "--host=" + host,
                                "--port=" + port, "--auth=off", "--tls=off",
                                "--domain=bench.example.com", "-f", sender,
                                "--"] + rcpts, stdin=f)
        if r.returncode != 0:
            sys.exit("msmtp: exit %d for %s" % (r.returncode, name))


if __name__ == "__main__":
    main()
