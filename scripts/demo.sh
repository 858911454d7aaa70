#!/bin/sh
# demo.sh - runs the main job on a throw-away demo box under build/demo:
# a database with reports due now (one with a stored PDF, one with only
# data), `send`, and what was queued.
set -eu
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
TOP=$(pwd)
DEMO=$TOP/build/demo
rm -rf "$DEMO"
mkdir -p "$DEMO"
cd "$DEMO"

# The built-in defaults, with the paths moved into the demo directory.
cat > sendreports.ini <<'INI'
[database]
path = reports.db
[spool]
dir = spool
[pdf]
dir = pdf
[log]
syslog = no
INI
export SENDREPORTS_CONFIG="$DEMO/sendreports.ini"
NOW=$(date -u '+%Y-%m-%dT%H:%M:%SZ')

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

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
rc=0
"$BIN" -v send || rc=$?
echo "(exit status $rc)"

say sendreports list
"$BIN" list

say sendreports queue
"$BIN" queue

say sendreports render 2 -o report-2.pdf
"$BIN" render 2 -o report-2.pdf && ls -l report-2.pdf

f=$(ls spool/queue/* | head -n 1)
say "head -n 20 $f"
head -n 20 "$f"

cat <<EOF2

The demo box is in $DEMO:
  sendreports.ini   its configuration
  reports.db        the scheduled reports (sqlite3 reports.db)
  spool/queue/      one file per message: envelope, then the MIME message
  spool/state.db    what was spooled, and the run log
  report-2.pdf      the fallback PDF rendered for report 2
Nothing was delivered: the demo has no SMTP server.  With [smtp] url set,
"sendreports flush" (or "tick", or "daemon") delivers the queue.
EOF2
