#!/bin/sh
# toolchain.sh - installs what the static and cross builds need, from
# Debian: the musl wrappers for x86_64, aarch64 and armhf (musl-dev:arm64
# and musl-dev:armhf pull in the cross compilers), the cross binutils,
# dpkg-source and tclsh (the SQLite amalgamation), qemu-user-static to run
# the ARM binaries.  Quiet and quick when everything is there.
set -eu

PACKAGES="musl-tools musl-dev musl-dev:arm64 musl-dev:armhf
binutils-aarch64-linux-gnu binutils-arm-linux-gnueabihf dpkg-dev tcl
qemu-user-static file ca-certificates xz-utils"

for a in arm64 armhf; do
	dpkg --print-foreign-architectures | grep -qx "$a" || {
		[ "$(id -u)" = 0 ] || { echo "toolchain: run as root" >&2; exit 1; }
		dpkg --add-architecture "$a"
	}
done
missing=""
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0
echo "toolchain: installing:$missing"
[ "$(id -u)" = 0 ] || { echo "toolchain: run as root" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
# An armhf index caught mid-sync is not a reason to stop.
apt-get update -qq || true
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
