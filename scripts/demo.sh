#!/bin/sh
# demo.sh BINARY DIR - the whole job on a throw-away box in DIR: a
# database with two reports due now (one with a stored PDF, one with only
# data for the fallback PDF), `send` spools them, `flush` delivers them to
# a mail server of the demo's own on 127.0.0.1 (scripts/demo-sink.py),
# and the end shows what that server received, the queue, the reports and
# where the files are.  Colours only on a terminal.
set -eu
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
TOP=$(pwd)
mkdir -p "$2"
DEMO=$(cd "$2" && pwd)
rm -rf "$DEMO"/*
mkdir -p "$DEMO/received"
cd "$DEMO"

if [ -t 1 ]; then
	say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
else
	say() { printf '\n$ %s\n' "$*"; }
fi

# The mail server, stopped by its PID however the demo ends.
python3=/usr/bin/python3
"$python3" "$TOP/scripts/demo-sink.py" "$DEMO/received" &
sink=$!
trap 'kill "$sink" 2>/dev/null || true' EXIT INT TERM
i=0
while [ ! -s "$DEMO/received/port" ]; do
	i=$((i + 1))
	if [ "$i" -gt 100 ] || ! kill -0 "$sink" 2>/dev/null; then
		echo "demo: the demo's mail server did not start" >&2
		exit 1
	fi
	sleep 0.1
done
port=$(cat "$DEMO/received/port")

# The built-in defaults, with the paths moved into the demo directory and
# the demo's server as the relay (on loopback: no TLS to set up).
cat > sendreports.ini <<INI
[database]
path = reports.db
[spool]
dir = spool
[pdf]
dir = pdf
[smtp]
url = smtp://127.0.0.1:$port
tls = none
[log]
syslog = no
INI
export SENDREPORTS_CONFIG="$DEMO/sendreports.ini"
NOW=$(date -u '+%Y-%m-%dT%H:%M:%SZ')

say sendreports initdb
"$BIN" initdb

say sendreports schedule --to ... --pdf hello.pdf
"$BIN" schedule --to 'Zoë Dupont <zoe@example.com>, ops@example.com' \
    --title 'Ventes — octobre 2026' --subject 'Ventes — octobre 2026' \
    --at "$NOW" --pdf "$TOP/tests/integration/data/hello.pdf"

say sendreports schedule --to ... --data sample-report.json
"$BIN" schedule --to 'direction@example.com' --title 'Ventes — Lyon' \
    --at "$NOW" --data "$TOP/docs/sample-report.json"

say sendreports send --dry-run
"$BIN" send --dry-run

say sendreports -v send
"$BIN" -v send

say sendreports queue
"$BIN" queue

say sendreports -v flush
"$BIN" -v flush

say "what the mail server on 127.0.0.1:$port received"
"$python3" "$TOP/scripts/demo-sink.py" --summary "$DEMO/received"

say sendreports queue
"$BIN" queue
echo "(empty: everything was delivered)"

say sendreports list
"$BIN" list

say sendreports render 2 -o report-2.pdf
"$BIN" render 2 -o report-2.pdf && ls -l report-2.pdf

cat <<EOF2

The demo box is in $DEMO:
  sendreports.ini   its configuration (the relay: the demo's server)
  reports.db        the scheduled reports (sqlite3 reports.db)
  pdf/              the stored PDFs (report 1's, copied by schedule --pdf)
  spool/state.db    what was spooled and delivered, and the run log
                    (sendreports list --log)
  received/*.eml    the messages as the mail server received them
  report-2.pdf      the fallback PDF of report 2, rendered again
On a real box, [smtp] url names your relay, and cron runs
"sendreports tick" every minute (README: "On the box").
EOF2
