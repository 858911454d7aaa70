#!/bin/sh
# static.sh ARCH - one fully static, stripped sendreports for ARCH (x86_64,
# aarch64, armhf) linked against musl: build/ARCH/sendreports, or with
# TLS=openssl (OpenSSL instead of mbedTLS, for relays that demand TLS 1.3)
# build/ARCH-openssl/sendreports.  The libraries come from Debian's sources
# (cross/fetch.sh, pinned), built once per arch (cross/build-libs.sh); then
# only the program is compiled.
set -eu

arch=$1
top=$(pwd)
. "$top/cross/arch.sh"
TLS=${TLS:-mbedtls}
case "$TLS" in
mbedtls)
	name=$arch extra=
	tls_libs="-lmbedtls -lmbedx509 -lmbedcrypto" ;;
openssl)
	name=$arch-openssl extra=openssl
	tls_libs="-lssl -lcrypto" ;;
*)
	echo "static: TLS=$TLS: mbedtls or openssl" >&2
	exit 2 ;;
esac
prefix=$top/build/cross/$name/prefix
export TLS

sh "$top/cross/toolchain.sh" "$arch"
# shellcheck disable=SC2086
sh "$top/cross/fetch.sh" build/cross/src $extra
sh "$top/cross/build-libs.sh" "$arch"

# The program, with the main Makefile's sources and rules; always linked
# again, since the Makefile does not know when a library was rebuilt.
rm -f "build/$name/sendreports"
# PKGS= and DEPS=: nothing of the host's, neither its packages nor their
# pkg-config flags.
make --no-print-directory BUILD="build/$name" STATIC=1 CC="$CC" AR="$AR" \
    PKGS= DEPS= CFLAGS="$CROSS_CFLAGS -I$prefix/include \
-DCURL_STATICLIB" \
    LDFLAGS="-Wl,-Map=build/$name/sendreports.map" \
    PROG_LIBS="-L$prefix/lib -lcurl $tls_libs \
-lhpdf -lz -lsqlite3 -linih -lm -lpthread" \
    "build/$name/sendreports"
cp "build/$name/sendreports" "build/$name/sendreports.debug"
$STRIP "build/$name/sendreports"
file "build/$name/sendreports" | grep -q "statically linked" || {
	echo "static: build/$name/sendreports is not statically linked" >&2
	exit 1
}
ls -l "build/$name/sendreports"
