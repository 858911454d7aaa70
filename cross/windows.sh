#!/bin/sh
# windows.sh - build/win64/sendreports.exe: x86_64 Windows (PE32+), built
# with Debian's MinGW-w64 and statically linked, one file to copy and no
# DLL beside it.  The libraries come from the same pinned Debian sources
# as the static Linux builds (cross/fetch.sh), built once into
# build/cross/win64/prefix (cross/build-libs.sh win64), curl with Schannel
# so that Windows' own certificate store is used.  The program is the
# main Makefile's, with the Windows side of the platform layer
# (PLATFORM=win: src/win/).
set -eu

arch=win64
top=$(pwd)
. "$top/cross/arch.sh"
prefix=$top/build/cross/$arch/prefix

sh "$top/cross/toolchain.sh" "$arch"
sh "$top/cross/fetch.sh" build/cross/src
sh "$top/cross/build-libs.sh" "$arch"

# MinGW's C99 printf (%zu, %lld), since the C library's is Microsoft's.
# gcc checks our printf-like functions against Microsoft's formats on
# this target, whatever printf they reach: -Wno-format here, the POSIX
# builds check the same format strings.  No CA bundle: Schannel has the
# store.
rm -f "build/$arch/sendreports.exe"
# The manifest (cross/windows.manifest: UTF-8 as the ANSI code page).
mkdir -p "build/$arch"
(cd "$top/cross" && $BINUTILS-windres windows.rc -O coff \
    -o "$top/build/$arch/windows-res.o")
make --no-print-directory BUILD="build/$arch" STATIC=1 PLATFORM=win \
    EXE=.exe CC="$CC" AR="$AR" PKGS= DEPS= CA_BUNDLE= CURL_DLOPEN= \
    CFLAGS="$CROSS_CFLAGS -I$prefix/include -DCURL_STATICLIB \
-D__USE_MINGW_ANSI_STDIO=1 -Wno-format" \
    PROG_LIBS="build/$arch/windows-res.o -L$prefix/lib -lcurl -lhpdf -lz \
-lsqlite3 -linih $WIN_SYS_LIBS -lm" \
    "build/$arch/sendreports.exe"
cp "build/$arch/sendreports.exe" "build/$arch/sendreports.debug.exe"
$STRIP "build/$arch/sendreports.exe"
file "build/$arch/sendreports.exe" | grep -q "PE32+ executable" || {
	echo "windows: build/$arch/sendreports.exe is not a PE32+ program" >&2
	exit 1
}
# One file: nothing but the system's own DLLs may be imported.
dlls=$($BINUTILS-objdump -p "build/$arch/sendreports.exe" |
    sed -n 's/^[[:space:]]*DLL Name: //p' | tr 'A-Z' 'a-z' | sort -u)
for d in $dlls; do
	case "$d" in
	kernel32.dll|user32.dll|advapi32.dll|ws2_32.dll|crypt32.dll|\
bcrypt.dll|msvcrt.dll|secur32.dll|shell32.dll|ole32.dll|wldap32.dll|\
normaliz.dll|iphlpapi.dll|api-ms-win-*) ;;
	*)	echo "windows: sendreports.exe needs $d beside it" >&2
		exit 1 ;;
	esac
done
ls -l "build/$arch/sendreports.exe"
