#!/bin/sh
# build-libs.sh ARCH [LIBRARY...] - builds the libraries of the static
# binary for ARCH (x86_64, aarch64, armhf, win64) from the unpacked Debian
# sources of build/cross/src, with only what sendreports uses, into
# build/cross/ARCH/prefix (TLS=openssl: build/cross/ARCH-openssl/prefix,
# with OpenSSL in place of mbedTLS).  win64's curl speaks TLS through
# Schannel (TLS=schannel, its only choice), so that Windows' certificate
# store is the one trusted.  Each library leaves a stamp there,
# so a second run does nothing.  Naming LIBRARY (zlib, mbedtls, openssl,
# curl, libharu, sqlite3, inih) builds only those.  Run from the top of
# the tree; cross/cross.mk calls it.
set -eu

arch=$1
shift
only=$*
top=$(pwd)
src=$top/build/cross/src
case "$arch" in
win64) TLS=${TLS:-schannel} ;;
*) TLS=${TLS:-mbedtls} ;;
esac
case "$arch:$TLS" in
win64:schannel) ;;
win64:* | *:schannel)
	echo "build-libs: TLS=$TLS for $arch: win64 takes schannel, and" \
	    "only it" >&2
	exit 2 ;;
esac
if [ "$TLS" = openssl ]; then
	out=$top/build/cross/$arch-openssl
else
	out=$top/build/cross/$arch
fi
prefix=$out/prefix
. "$top/cross/arch.sh"

export CC AR RANLIB STRIP NM
# `make install-busybox DESTDIR=ROOT` calls us through cross.mk and
# static.sh: its DESTDIR, in our environment and in MAKEFLAGS' command
# line variables, is where sendreports goes.  The libraries' own `make
# install` would honour it and put them in ROOT$prefix, out of our sight.
unset DESTDIR
MAKEFLAGS=$(printf '%s\n' "${MAKEFLAGS:-}" |
    sed 's/\(^\| \)DESTDIR=\(\\.\|[^ \\]\)*//g')
export MAKEFLAGS
export CFLAGS="$CROSS_CFLAGS"
# Never the host's .pc files (Debian has libcurl's and sqlite3's).
export PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig" PKG_CONFIG_PATH=
jobs=$(nproc 2>/dev/null || echo 2)
mkdir -p "$prefix/lib" "$prefix/include" "$out/obj"

# step NAME "LIB..." [FILE...]: whether NAME is still to build.  Its stamp
# holds the sum of the files it is built from (arch.sh's flags, patches,
# configurations), so changing one rebuilds it.  A stamp is only believed
# while the libraries it stands for (LIB, in $prefix/lib) are there: one
# left by a build whose files went elsewhere, or were removed, is not.
step() {
	name=$1
	libs=$2
	shift 2
	if [ -n "$only" ]; then
		case " $only " in
		*" $name "*) ;;
		*) return 1 ;;
		esac
	fi
	key=$(cat "$top/cross/arch.sh" "$@" | sha256sum | cut -c1-16)
	if [ "$(cat "$prefix/.stamp-$name" 2>/dev/null)" = "$key" ]; then
		missing=
		for l in $libs; do
			[ -f "$prefix/lib/$l" ] || missing="$missing $l"
		done
		[ -z "$missing" ] && return 1
		echo "  LIB     $name ($arch): stamp without$missing, rebuilding"
	fi
	echo "  LIB     $name ($arch)"
	rm -rf "$out/obj/$name" "$prefix/.stamp-$name"
	return 0
}
done_step() { echo "$key" > "$prefix/.stamp-$1"; }
mbedtls_config=$top/cross/mbedtls-config.h
mbedtls_patch=$top/cross/patches/mbedtls-getrandom-musl.patch
mbedtls_ip_patch=$top/cross/patches/mbedtls-ip-san.patch
curl_patch=$top/cross/patches/curl-nohttp-pingpong.patch
libharu_patch=$top/cross/patches/libharu-helvetica-only.patch

if [ "$arch" = win64 ] && step zlib libz.a; then
	# zlib's configure knows no cross MinGW, and Debian's tarball has
	# no win32/Makefile.gcc: the Makefile's libz.a, compiled as is (its
	# zconf.h needs nothing configured on Windows).
	mkdir -p "$out/obj/zlib"
	for f in adler32 crc32 deflate infback inffast inflate inftrees \
	    trees zutil compress uncompr gzclose gzlib gzread gzwrite; do
		$CC $CFLAGS -c "$src/zlib/$f.c" -o "$out/obj/zlib/$f.o"
	done
	rm -f "$prefix/lib/libz.a"
	$AR rcs "$prefix/lib/libz.a" "$out/obj/zlib/"*.o
	cp "$src/zlib/zlib.h" "$src/zlib/zconf.h" "$prefix/include/"
	done_step zlib
elif step zlib libz.a; then
	cp -a "$src/zlib" "$out/obj/zlib"
	(cd "$out/obj/zlib" && ./configure --static --prefix="$prefix" \
	    >/dev/null && make -j"$jobs" libz.a >/dev/null &&
	    make install >/dev/null)
	done_step zlib
fi

if [ "$TLS" = mbedtls ] && step mbedtls \
    "libmbedtls.a libmbedx509.a libmbedcrypto.a" "$mbedtls_config" \
    "$mbedtls_patch" "$mbedtls_ip_patch"; then
	# Upstream's default configuration less what cross/mbedtls-config.h
	# leaves out, included where config.h allows a user's file.
	cp -a "$src/mbedtls" "$out/obj/mbedtls"
	(cd "$out/obj/mbedtls" && patch -p1 -s < "$mbedtls_patch" &&
	    patch -p1 -s < "$mbedtls_ip_patch")
	cp "$mbedtls_config" "$out/obj/mbedtls/include/mbedtls/"
	sed -i 's|^#if defined(MBEDTLS_USER_CONFIG_FILE)$|#include "mbedtls/mbedtls-config.h"\n&|' \
	    "$out/obj/mbedtls/include/mbedtls/config.h"
	grep -q '^#include "mbedtls/mbedtls-config.h"' \
	    "$out/obj/mbedtls/include/mbedtls/config.h"
	rm -rf "$prefix/include/mbedtls" "$prefix/include/psa"
	(cd "$out/obj/mbedtls" && make -C library -j"$jobs" CC="$CC" \
	    AR="$AR" CFLAGS="$CFLAGS" libmbedcrypto.a libmbedx509.a \
	    libmbedtls.a >/dev/null)
	cp -R "$out/obj/mbedtls/include/mbedtls" \
	    "$out/obj/mbedtls/include/psa" "$prefix/include/"
	cp "$out/obj/mbedtls/library/"libmbed*.a "$prefix/lib/"
	done_step mbedtls
fi

if [ "$TLS" = openssl ] && step openssl "libssl.a libcrypto.a"; then
	# What a TLS client needs: no engines, modules, apps, legacy ciphers,
	# no kernel headers for secure memory (musl's wrapper has none).
	cp -a "$src/openssl" "$out/obj/openssl"
	(cd "$out/obj/openssl" && ./Configure "$OPENSSL_TARGET" \
	    --prefix="$prefix" --libdir=lib --openssldir=/etc/ssl \
	    no-shared no-dso no-engine no-module no-legacy no-tests \
	    no-ui-console no-secure-memory no-async no-afalgeng \
	    no-comp no-dtls no-srp no-psk no-ssl3 no-tls1 no-tls1_1 \
	    no-idea no-mdc2 no-rc2 no-rc4 no-rc5 no-md4 no-seed no-whirlpool \
	    no-camellia no-aria no-sm2 no-sm3 no-sm4 no-gost no-cast \
	    no-bf no-des no-cms no-ts no-ocsp no-srtp no-ct no-siphash \
	    no-scrypt no-cmac no-ec2m >configure.out \
	    2>&1 || { tail -n 30 configure.out >&2; exit 1; }
	    make -j"$jobs" build_libs >/dev/null && make install_dev \
	    >/dev/null)
	done_step openssl
fi

# win64: Schannel, which needs no CA file (Windows' store, unless the
# program hands over CAINFO or CAINFO_BLOB), and Win32 threads for the
# threaded resolver even where a winpthreads pthread.h is found.
tls_opts="--with-ca-bundle=/etc/ssl/certs/ca-certificates.crt
--without-ca-path"
case "$TLS" in
openssl) with_tls=--with-openssl=$prefix ;;
schannel)
	with_tls=--with-schannel
	tls_opts="--without-ca-bundle --without-ca-path --disable-pthreads" ;;
*) with_tls=--with-mbedtls=$prefix ;;
esac
# Its key holds this script too: the configure options below.  No MIME API
# nor easy-options table: sendreports writes its own MIME and sets options
# by name.
# shellcheck disable=SC2086
if step curl libcurl.a "$curl_patch" "$mbedtls_config" "$0"; then
	cp -a "$src/curl" "$out/obj/curl"
	(cd "$out/obj/curl" &&
	    patch -p1 -s < "$curl_patch" &&
	    ./configure --host="$HOST" --prefix="$prefix" \
	    --disable-shared --enable-static --disable-dependency-tracking \
	    --disable-http --disable-ftp --disable-file --disable-ldap \
	    --disable-ldaps --disable-rtsp --disable-proxy --disable-dict \
	    --disable-telnet --disable-tftp --disable-pop3 --disable-imap \
	    --disable-smb --disable-gopher --disable-mqtt --disable-manual \
	    --disable-ntlm --disable-ntlm-wb --disable-tls-srp \
	    --disable-unix-sockets --disable-cookies --disable-doh \
	    --disable-netrc --disable-alt-svc --disable-hsts \
	    --disable-headers-api --disable-websockets --disable-dnsshuffle \
	    --disable-progress-meter --disable-libcurl-option \
	    --enable-smtp --disable-mime --disable-get-easy-options \
	    --enable-threaded-resolver \
	    --enable-ipv6 --enable-verbose \
	    --without-zlib --without-brotli --without-zstd --without-libpsl \
	    --without-libidn2 --without-librtmp --without-libssh2 \
	    --without-libssh --without-nghttp2 --without-nghttp3 \
	    --without-ngtcp2 --without-quiche --without-msh3 --without-hyper \
	    --without-gssapi --without-libgsasl \
	    "$with_tls" $tls_opts >configure.out 2>&1 || {
		tail -n 30 configure.out >&2; exit 1; } &&
	    grep -q "Protocols:.*SMTP SMTPS" configure.out &&
	    { [ -z "$WIN_SYS_LIBS" ] ||
	    grep -Eq "^ *LIBS: +$WIN_SYS_LIBS *\$" configure.out ||
	    { echo "build-libs: curl wants other Windows libraries" \
	    "than arch.sh's WIN_SYS_LIBS:" >&2
	    grep -E "^ *LIBS:" configure.out >&2; exit 1; }; } &&
	    make -C lib -j"$jobs" >/dev/null &&
	    make -C lib install >/dev/null && make -C include install \
	    >/dev/null)
	done_step curl
fi

if step libharu libhpdf.a "$top/cross/hpdf_config.h" "$libharu_patch"; then
	# Only the fonts sendreports draws with (the patch says why).
	mkdir -p "$out/obj/libharu"
	cp -a "$src/libharu/src" "$out/obj/libharu/src"
	(cd "$out/obj/libharu" && patch -p1 -s < "$libharu_patch")
	cp "$src/libharu/include/"*.h "$prefix/include/"
	cp "$top/cross/hpdf_config.h" "$prefix/include/"
	for c in "$out/obj/libharu/src/"*.c; do
		$CC $CFLAGS -DHPDF_HELVETICA_ONLY -I"$prefix/include" -c "$c" \
		    -o "$out/obj/libharu/$(basename "$c" .c).o"
	done
	rm -f "$prefix/lib/libhpdf.a"
	$AR rcs "$prefix/lib/libhpdf.a" "$out/obj/libharu/"*.o
	done_step libharu
fi

if step sqlite3 libsqlite3.a; then
	# The amalgamation is made once on the host (tclsh), for every arch.
	amal=$top/build/cross/sqlite-amalgamation
	if [ ! -f "$amal/sqlite3.c" ]; then
		rm -rf "$amal" && mkdir -p "$amal"
		(cd "$amal" && CC=cc CFLAGS=-O0 AR=ar RANLIB=ranlib \
		    "$src/sqlite3/configure" --disable-tcl >/dev/null &&
		    make sqlite3.c sqlite3.h >/dev/null)
	fi
	mkdir -p "$out/obj/sqlite3"
	# shellcheck disable=SC2086
	$CC $CFLAGS $SQLITE_OPTIONS -c "$amal/sqlite3.c" \
	    -o "$out/obj/sqlite3/sqlite3.o"
	rm -f "$prefix/lib/libsqlite3.a"
	$AR rcs "$prefix/lib/libsqlite3.a" "$out/obj/sqlite3/sqlite3.o"
	cp "$amal/sqlite3.h" "$prefix/include/"
	done_step sqlite3
fi

if step inih libinih.a; then
	mkdir -p "$out/obj/inih"
	$CC $CFLAGS -c "$src/libinih/ini.c" -o "$out/obj/inih/ini.o"
	rm -f "$prefix/lib/libinih.a"
	$AR rcs "$prefix/lib/libinih.a" "$out/obj/inih/ini.o"
	cp "$src/libinih/ini.h" "$prefix/include/"
	done_step inih
fi
