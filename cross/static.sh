#!/bin/sh
# static.sh ARCH - one fully static, stripped sendreports for ARCH (x86_64,
# aarch64, armhf) linked against musl: build/ARCH/sendreports.  The
# libraries come from Debian's sources (cross/fetch.sh, pinned), built once
# per arch (cross/build-libs.sh); then only the program is compiled.
set -eu

arch=$1
top=$(pwd)
. "$top/cross/arch.sh"
prefix=$top/build/cross/$arch/prefix

sh "$top/cross/toolchain.sh"
sh "$top/cross/fetch.sh" build/cross/src
sh "$top/cross/build-libs.sh" "$arch"

# The program, with the main Makefile's sources and rules.
make --no-print-directory BUILD="build/$arch" STATIC=1 CC="$CC" AR="$AR" \
    PKG_CONFIG=false CFLAGS="$CROSS_CFLAGS -I$prefix/include \
-DCURL_STATICLIB" \
    LDFLAGS="-Wl,-Map=build/$arch/sendreports.map" \
    PROG_LIBS="-L$prefix/lib -lcurl -lmbedtls -lmbedx509 -lmbedcrypto \
-lhpdf -lz -lsqlite3 -linih -lm -lpthread" \
    "build/$arch/sendreports"
cp "build/$arch/sendreports" "build/$arch/sendreports.debug"
$STRIP "build/$arch/sendreports"
file "build/$arch/sendreports" | grep -q "statically linked" || {
	echo "static: build/$arch/sendreports is not statically linked" >&2
	exit 1
}
ls -l "build/$arch/sendreports"
