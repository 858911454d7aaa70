#!/bin/sh
# install.sh host|busybox BINARY - installs sendreports and the files that
# run it (make install, make install-busybox).  The paths written in the
# scripts and units of etc/ are the installed ones.  A configuration
# already there is the operator's: it is never overwritten, nor is an
# existing crontab.
#
#   host:     BINDIR, SYSCONFDIR, DATADIR, SYSTEMDDIR as the Makefile sets
#             them: the binary and its send_scheduled_reports link, the
#             configuration, the systemd units, the ifupdown hook, the
#             init script, and in DATADIR/sendreports the examples (cron
#             lines, configuration) and the network-up helper.
#   busybox:  a BusyBox root under DESTDIR: /usr/bin, /etc/init.d, the
#             ifupdown and udhcpc hooks, the examples in /usr/share.
set -eu

kind=$1
bin=$2
DESTDIR=${DESTDIR:-}
INSTALL=${INSTALL:-install}
if [ "$kind" = busybox ]; then
	BINDIR=/usr/bin SYSCONFDIR=/etc DATADIR=/usr/share SYSTEMDDIR=
else
	BINDIR=${BINDIR:?} SYSCONFDIR=${SYSCONFDIR:?} DATADIR=${DATADIR:?}
	SYSTEMDDIR=${SYSTEMDDIR:-}
fi
share=$DATADIR/sendreports
d=$DESTDIR

[ -x "$bin" ] || { echo "install: no $bin: build it first" >&2; exit 1; }
[ "$kind" != busybox ] || [ -n "$DESTDIR" ] || {
	echo "install: make install-busybox DESTDIR=ROOT: the root to fill" >&2
	exit 1; }

# script SRC DEST MODE: a file of etc/ with the installed paths in it.
script() {
	$INSTALL -d "$(dirname "$d$2")"
	sed -e "s|/usr/bin/sendreports|$BINDIR/sendreports|g" \
	    -e "s|/usr/local/bin/sendreports|$BINDIR/sendreports|g" \
	    -e "s|/etc/sendreports.ini|$SYSCONFDIR/sendreports.ini|g" \
	    -e "s|/usr/share/sendreports|$share|g" "etc/$1" > "$d$2.tmp"
	chmod "$3" "$d$2.tmp"
	mv "$d$2.tmp" "$d$2"
}

$INSTALL -d "$d$BINDIR" "$d$SYSCONFDIR" "$d$share"
$INSTALL -m 0755 "$bin" "$d$BINDIR/sendreports"
ln -sf sendreports "$d$BINDIR/send_scheduled_reports"
if [ -e "$d$SYSCONFDIR/sendreports.ini" ]; then
	echo "install: keeping $d$SYSCONFDIR/sendreports.ini"
else
	script sendreports.ini "$SYSCONFDIR/sendreports.ini" 0600
fi
script sendreports.ini "$share/sendreports.ini" 0644
script sendreports-network-up "$share/sendreports-network-up" 0755
script crontab.busybox "$share/crontab.busybox" 0644
script sendreports.cron "$share/sendreports.cron" 0644
script init.d/S90sendreports "$SYSCONFDIR/init.d/S90sendreports" 0755
script network/if-up.d/sendreports \
    "$SYSCONFDIR/network/if-up.d/sendreports" 0755
if [ "$kind" = busybox ]; then
	# Buildroot's udhcpc script runs every file of this directory.
	script udhcpc/sendreports \
	    "$DATADIR/udhcpc/default.script.d/sendreports" 0755
else
	script udhcpc/sendreports "$share/udhcpc-sendreports" 0755
fi
if [ -n "$SYSTEMDDIR" ]; then
	for u in sendreports.service sendreports-tick.service \
	    sendreports-tick.timer; do
		script "systemd/$u" "$SYSTEMDDIR/$u" 0644
	done
fi
echo "install: sendreports in $d$BINDIR, configuration $d$SYSCONFDIR/sendreports.ini"
