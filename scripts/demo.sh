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

say sendreports schedule --to ... --data report.json
cat > report.json <<'JSON'
{"title": "Stocks — Lyon", "columns": ["Produit", "Quantité"],
 "rows": [["Café", 120], ["Thé", 80]]}
JSON
"$BIN" schedule --to 'logistique@example.com' --title 'Stocks — Lyon' \
    --at "$NOW" --data report.json

say sendreports send --dry-run
"$BIN" send --dry-run

say sendreports -v send
rc=0
"$BIN" -v send || rc=$?
echo "(exit status $rc)"

say sendreports list
"$BIN" list

say ls -l spool/queue
ls -l spool/queue
for f in spool/queue/*; do
	say "head -n 20 $f"
	head -n 20 "$f"
done

cat <<EOF2

The demo box is in $DEMO:
  sendreports.ini   its configuration
  reports.db        the scheduled reports (sqlite3 reports.db)
  spool/queue/      one file per message: envelope, then the MIME message
  spool/state.db    what was spooled, and the run log
EOF2
