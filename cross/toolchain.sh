#!/bin/sh
# toolchain.sh [ARCH] - installs what the static and cross builds need,
# from Debian: the musl wrappers for x86_64, aarch64 and armhf
# (musl-dev:arm64 and musl-dev:armhf pull in the cross compilers), the
# cross binutils, dpkg-source and tclsh (the SQLite amalgamation),
# qemu-user-static to run the ARM binaries; for ARCH win64 also MinGW-w64
# and wine64 to run its programs.  Quiet and quick when everything is
# there.
set -eu

PACKAGES="musl-tools musl-dev musl-dev:arm64 musl-dev:armhf
binutils-aarch64-linux-gnu binutils-arm-linux-gnueabihf dpkg-dev tcl
qemu-user-static file ca-certificates xz-utils"
# wine64 alone, not "wine": with armhf a foreign architecture its
# Recommends would be met by wine32:armhf, which /usr/bin/wine prefers
# and cannot run (cross/arch.sh runs /usr/lib/wine/wine64).
case "${1:-}" in
win64) PACKAGES="$PACKAGES gcc-mingw-w64-x86-64 wine64" ;;
esac

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
