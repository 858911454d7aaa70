#!/bin/sh
# check-arch.sh ARCH - runs the integration suite against the static
# binary build/ARCH/sendreports under qemu-user (no sysroot: it is
# static), with the same SMTP server on loopback.
set -eu

arch=$1
top=$(pwd)
. "$top/cross/arch.sh"
bin=$top/build/$arch/sendreports
[ -x "$bin" ] || { echo "check-cross: no $bin (make cross ARCH=$arch)" >&2
	exit 1; }
echo "  QEMU    $bin"
SENDREPORTS_BIN=$bin SENDREPORTS_EMULATOR=$QEMU \
    /usr/bin/python3 -m pytest -q -p no:cacheprovider -rs tests/integration
