#!/bin/sh
# install.sh host|busybox BINARY - installs sendreports and the files that
# run it (make install, make install-busybox).  The paths written in the
# scripts and units of etc/ are the installed ones.  A configuration
# already there is the operator's: it is never overwritten, nor is an
# existing crontab.
#
#   host:     BINDIR, SYSCONFDIR, DATADIR, SYSTEMDDIR as the Makefile sets
#             them: the binary (stripped with STRIP) and its
#             send_scheduled_reports link, the configuration, the init
#             files INIT names, the ifupdown and NetworkManager hooks, the
#             manual pages in DATADIR/man, and in DATADIR/sendreports the
#             examples (cron lines, configuration) and the network-up
#             helper.  Installing to the real root as root, it creates
#             the sendreports user.
#   busybox:  a BusyBox root under DESTDIR: /usr/bin, /etc/init.d, the
#             ifupdown and udhcpc hooks, the examples and the manual
#             pages in /usr/share.
#
# Both create the state directories, /var/lib/sendreports (with pdf/)
# and /var/spool/sendreports (0700), owned by the sendreports user when
# the root's /etc/passwd has one and we are root.
#
# INIT: systemd (the units, into SYSTEMDDIR), busybox (init.d/S90), none,
# or auto: systemd where it runs (/run/systemd/system), else none; a
# BusyBox root always gets the init script.
#
# SENDMAIL=yes: /usr/sbin/sendmail and /usr/bin/mailq (the paths scripts
# and cron call) become links to sendreports, each only where nothing else
# stands: another mail program's is never replaced.
set -eu

kind=$1
bin=$2
DESTDIR=${DESTDIR:-}
INSTALL=${INSTALL:-install}
# Empty: the binary is installed as it is (static.sh already stripped it).
STRIP=${STRIP-strip}
INIT=${INIT:-auto}
user=sendreports
if [ "$kind" = busybox ]; then
	BINDIR=/usr/bin SYSCONFDIR=/etc DATADIR=/usr/share SYSTEMDDIR=
	INIT=busybox
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
if [ "$INIT" = auto ]; then
	if [ -d /run/systemd/system ]; then
		INIT=systemd
	else
		INIT=none
	fi
fi
case "$INIT" in
systemd)
	[ -n "$SYSTEMDDIR" ] || {
		echo "install: INIT=systemd needs SYSTEMDDIR" >&2; exit 1; } ;;
busybox|none) ;;
*)
	echo "install: INIT=$INIT: systemd, busybox, none or auto" >&2
	exit 1 ;;
esac

# script SRC DEST MODE: a file of etc/ with the installed paths in it.
script() {
	$INSTALL -d "$(dirname "$d$2")"
	sed -e "s|/usr/bin/sendreports|$BINDIR/sendreports|g" \
	    -e "s|/usr/bin/send_scheduled_reports|$BINDIR/send_scheduled_reports|g" \
	    -e "s|/usr/local/bin/sendreports|$BINDIR/sendreports|g" \
	    -e "s|/etc/sendreports.ini|$SYSCONFDIR/sendreports.ini|g" \
	    -e "s|/usr/share/sendreports|$share|g" "etc/$1" > "$d$2.tmp"
	chmod "$3" "$d$2.tmp"
	mv "$d$2.tmp" "$d$2"
}

# The user the services run as: only in the real root, and only as root.
# A DESTDIR is an image or a package, whose users are its own.
if [ "$kind" = host ] && ! grep -q "^$user:" "$d/etc/passwd" 2>/dev/null
then
	why=
	if [ -n "$d" ]; then
		why="DESTDIR is set"
	elif [ "$(id -u)" != 0 ]; then
		why="not root"
	elif ! command -v useradd >/dev/null 2>&1; then
		why="no useradd"
	fi
	if [ -n "$why" ]; then
		echo "install: $why: not creating the $user user, which the" \
		    "systemd units run as (see README)"
	else
		useradd --system --user-group --home-dir /var/lib/sendreports \
		    --no-create-home --shell /usr/sbin/nologin "$user"
		echo "install: created the system user $user"
	fi
fi
# Its numbers, read from the root being filled (a BusyBox image's users
# are not this machine's).  Empty when it has none or we cannot chown.
owner=
if [ "$(id -u)" = 0 ] && [ -r "$d/etc/passwd" ]; then
	owner=$(awk -F: -v u="$user" '$1 == u { print $3 ":" $4 }' \
	    "$d/etc/passwd")
fi
[ -n "$owner" ] || [ "$kind" != busybox ] ||
	echo "install: no $user user in $d/etc/passwd: the daemon will run" \
	    "as root"

$INSTALL -d "$d$BINDIR" "$d$SYSCONFDIR" "$d$share"
$INSTALL -m 0755 "$bin" "$d$BINDIR/sendreports"
[ -z "$STRIP" ] || $STRIP "$d$BINDIR/sendreports"
ln -sf sendreports "$d$BINDIR/send_scheduled_reports"
if [ "${SENDMAIL:-no}" = yes ]; then
	for link in /usr/sbin/sendmail /usr/bin/mailq; do
		if [ -L "$d$link" ] &&
		    [ "$(readlink "$d$link")" = "$BINDIR/sendreports" ]; then
			:	# ours already
		elif [ -e "$d$link" ] || [ -L "$d$link" ]; then
			echo "install: $d$link is another mail program's:" \
			    "not replaced (sendreports sendmail does the same)"
		else
			$INSTALL -d "$(dirname "$d$link")"
			ln -s "$BINDIR/sendreports" "$d$link"
			echo "install: $d$link -> $BINDIR/sendreports"
		fi
	done
fi
# What the old crontab lines call, beside the old command's name.
script send_reports.sh "$BINDIR/send_reports.sh" 0755
if [ -e "$d$SYSCONFDIR/sendreports.ini" ]; then
	echo "install: keeping $d$SYSCONFDIR/sendreports.ini"
else
	script sendreports.ini "$SYSCONFDIR/sendreports.ini" 0600
	# The daemon reads it as its user, and it may come to hold a password.
	[ -z "$owner" ] || chown "$owner" "$d$SYSCONFDIR/sendreports.ini"
fi

# The configuration's default directories, so that `sendreports initdb`
# finds them: the database and the stored PDFs (not secret), the spool.
$INSTALL -d -m 0755 "$d/var/lib/sendreports" "$d/var/lib/sendreports/pdf"
$INSTALL -d -m 0700 "$d/var/spool/sendreports"
[ -z "$owner" ] || chown "$owner" "$d/var/lib/sendreports" \
    "$d/var/lib/sendreports/pdf" "$d/var/spool/sendreports"

script sendreports.ini "$share/sendreports.ini" 0644
# Where bash-completion looks for a command's completion on demand.
script bash-completion/sendreports \
    "$DATADIR/bash-completion/completions/sendreports" 0644
# The manual pages, with the installed paths in them.  A BusyBox root
# gets them too, as it gets the completion and the examples: a few KiB
# under /usr/share, for a box with a man reader, or for the image
# builder's own clean-up to drop.
script man/sendreports.8 "$DATADIR/man/man8/sendreports.8" 0644
script man/sendreports.ini.5 "$DATADIR/man/man5/sendreports.ini.5" 0644
script sendreports-network-up "$share/sendreports-network-up" 0755
script crontab.busybox "$share/crontab.busybox" 0644
script sendreports.cron "$share/sendreports.cron" 0644
script network/if-up.d/sendreports \
    "$SYSCONFDIR/network/if-up.d/sendreports" 0755
if [ "$kind" = busybox ]; then
	# Buildroot's udhcpc script runs every file of this directory.
	script udhcpc/sendreports \
	    "$DATADIR/udhcpc/default.script.d/sendreports" 0755
else
	script udhcpc/sendreports "$share/udhcpc-sendreports" 0755
	script NetworkManager/dispatcher.d/90-sendreports \
	    "$SYSCONFDIR/NetworkManager/dispatcher.d/90-sendreports" 0755
fi
case "$INIT" in
systemd)
	for u in sendreports.service sendreports-tick.service \
	    sendreports-tick.timer; do
		script "systemd/$u" "$SYSTEMDDIR/$u" 0644
	done
	echo "install: systemd units in $d$SYSTEMDDIR" ;;
busybox)
	script init.d/S90sendreports "$SYSCONFDIR/init.d/S90sendreports" 0755
	echo "install: init script $d$SYSCONFDIR/init.d/S90sendreports" ;;
none)
	echo "install: no init files (INIT=systemd or INIT=busybox for" \
	    "them); the cron line is $d$share/sendreports.cron" ;;
esac
echo "install: sendreports in $d$BINDIR, configuration $d$SYSCONFDIR/sendreports.ini"
