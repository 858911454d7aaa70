"""The smtplib peer of bench_flush.py: COUNT messages of DIR (msg-K files
and envelope.json, as bench_flush.py writes them) to HOST:PORT with
Python's smtplib over one connection, as a Python program that sent its
queue itself would.

    peer_smtplib.py DIR HOST PORT COUNT
"""
import json
import os
import smtplib
import sys


def main():
    d, host, port, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
        int(sys.argv[4])
    with open(os.path.join(d, "envelope.json")) as f:
        env = json.load(f)[:count]
    s = smtplib.SMTP(host, port, local_hostname="bench.example.com")
    try:
        for name, sender, rcpts in env:
            with open(os.path.join(d, name), "rb") as f:
                refused = s.sendmail(sender, rcpts, f.read())
            if refused:
                sys.exit("refused: %r" % refused)
    finally:
        s.quit()


if __name__ == "__main__":
    main()
