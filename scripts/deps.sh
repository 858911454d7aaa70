#!/bin/sh
# deps.sh [--build] [PACKAGE...] - installs the Debian packages that
# building, testing and the demo need, when some are missing.  Quiet and
# quick when everything is there.
#
#   deps.sh            what make check and make demo need
#   deps.sh --build    only what building the program needs (make, make
#                      install): the compiler and the libraries
#   deps.sh --build PKG...  more packages (make bench: python3-django,
#                      python3-reportlab, strace ...)
set -eu

BUILD_PACKAGES="gcc make pkg-config libc6-dev libsqlite3-dev
libcurl4-openssl-dev libhpdf-dev libinih-dev zlib1g-dev tzdata
ca-certificates"
# systemd is there for systemd-analyze and systemctl --root, which check
# the units offline; where systemd does not run, installing it starts
# nothing.  file tells whether an installed binary is stripped.  strace
# records the file operations of the crash-state exploration.  clang, its
# libFuzzer and sanitizer runtimes (libclang-rt-14-dev: Debian 12's clang
# is clang-14) and llvm (llvm-symbolizer, for readable stacks) build and
# run the fuzz targets of make fuzz and make check.  man-db (with
# groff-base) formats the manual pages of etc/man/ for their test.
if [ "${1:-}" = --build ]; then
	shift
	PACKAGES=$BUILD_PACKAGES
else
	PACKAGES="$BUILD_PACKAGES libcmocka-dev python3 python3-pytest
python3-aiosmtpd qpdf poppler-utils openssl valgrind fonts-dejavu-core sqlite3
time busybox-static python3-django file systemd strace clang
libclang-rt-14-dev llvm man-db"
fi
PACKAGES="$PACKAGES $*"

missing=""
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: not root; install these packages, then run make again:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
