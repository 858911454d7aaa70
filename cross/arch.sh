# arch.sh - sourced with $arch set: the toolchain of each target.  The C
# compiler is Debian's musl wrapper; no *-linux-musl-ar exists, so the
# binutils are the GNU cross ones.  win64 is MinGW-w64 (libraries only so
# far: cross/build-libs.sh win64), with Schannel for TLS.
# WIN_SYS_LIBS: the Windows import libraries a program linked against
# win64's libraries needs after them (curl's configure LIBS, which
# build-libs.sh checks): bcrypt (random numbers, hashes), crypt32
# (certificates, the store), ws2_32 (sockets), advapi32 (CryptoAPI; gcc
# links it by default, named for -nodefaultlibs).  No secur32: curl loads
# the SSPI DLL at run time.  Empty for the others.
WIN_SYS_LIBS=
case "$arch" in
x86_64)
	CC=x86_64-linux-musl-gcc BINUTILS=x86_64-linux-gnu
	HOST=x86_64-linux-musl QEMU= ARCH_CFLAGS= OPENSSL_TARGET=linux-x86_64 ;;
aarch64)
	# gcc 12's outline atomics call glibc's __getauxval.
	CC=aarch64-linux-musl-gcc BINUTILS=aarch64-linux-gnu
	HOST=aarch64-linux-musl QEMU=qemu-aarch64-static
	ARCH_CFLAGS=-mno-outline-atomics OPENSSL_TARGET=linux-aarch64 ;;
armhf)
	CC=arm-linux-musleabihf-gcc BINUTILS=arm-linux-gnueabihf
	HOST=arm-linux-musleabihf QEMU=qemu-arm-static ARCH_CFLAGS=
	OPENSSL_TARGET=linux-armv4 ;;
win64)
	# Debian's gcc-mingw-w64-x86-64 (win32 threads: no winpthread DLL
	# to carry).  Wine's 64-bit loader runs the tests, named in full:
	# with armhf a foreign architecture, installing "wine" lets
	# wine64's Recommends pull wine32:armhf, and /usr/bin/wine then
	# prefers that ARM loader ("Exec format error").
	CC=x86_64-w64-mingw32-gcc BINUTILS=x86_64-w64-mingw32
	HOST=x86_64-w64-mingw32 QEMU=/usr/lib/wine/wine64 ARCH_CFLAGS=
	OPENSSL_TARGET=mingw64
	WIN_SYS_LIBS="-lbcrypt -ladvapi32 -lcrypt32 -lws2_32" ;;
*)
	echo "arch \"$arch\": x86_64, aarch64, armhf or win64" >&2
	exit 2 ;;
esac
AR=$BINUTILS-ar RANLIB=$BINUTILS-ranlib STRIP=$BINUTILS-strip
NM=$BINUTILS-nm
# Small: -Os, sections for --gc-sections, no unwind tables (C only).
CROSS_CFLAGS="-Os -pipe -ffunction-sections -fdata-sections
-fno-asynchronous-unwind-tables -fno-unwind-tables $ARCH_CFLAGS"
# SQLite for a small box: no extension loading, WAL NORMAL, real sleeps,
# and none of the interfaces sendreports does not call (UTF-16, declared
# types, sqlite3_complete, get_table, tracing, the authorizer, the list of
# compile options, Tcl variables, sqlite3_deserialize and its memdb VFS,
# the test hooks, the 'localtime' modifier of the date functions, the
# transfer optimisation of INSERT INTO t SELECT * FROM u, a statement
# sendreports never makes: all plain #ifdef code, safe with the
# amalgamation).  WAL stays: a state database of an earlier version is in
# WAL mode until the first run turns it to a rollback journal.
SQLITE_OPTIONS="-DSQLITE_THREADSAFE=2 -DSQLITE_OMIT_LOAD_EXTENSION
-DSQLITE_OMIT_UTF16 -DSQLITE_OMIT_DECLTYPE -DSQLITE_OMIT_COMPLETE
-DSQLITE_OMIT_GET_TABLE -DSQLITE_OMIT_TRACE -DSQLITE_OMIT_AUTHORIZATION
-DSQLITE_OMIT_COMPILEOPTION_DIAGS -DSQLITE_OMIT_TCL_VARIABLE
-DSQLITE_DEFAULT_WAL_SYNCHRONOUS=1 -DSQLITE_DEFAULT_MEMSTATUS=0 -DSQLITE_DQS=0
-DSQLITE_LIKE_DOESNT_MATCH_BLOBS -DSQLITE_MAX_EXPR_DEPTH=0
-DSQLITE_OMIT_DEPRECATED -DSQLITE_OMIT_SHARED_CACHE
-DSQLITE_OMIT_PROGRESS_CALLBACK -DSQLITE_USE_ALLOCA -DSQLITE_TEMP_STORE=2
-DSQLITE_ENABLE_API_ARMOR -DSQLITE_OMIT_DESERIALIZE -DSQLITE_UNTESTABLE
-DSQLITE_OMIT_LOCALTIME -DSQLITE_OMIT_XFER_OPT"
case "$arch" in
win64)
	# Not what musl has: MinGW-w64 has no strchrnul, localtime_r and
	# gmtime_r only as inline wrappers under _POSIX_C_SOURCE, and usleep
	# and fdatasync are read by os_unix.c alone (os_win.c sleeps with
	# Sleep(), syncs with FlushFileBuffers()).  date.c takes the CRT's
	# localtime_s instead; current_date() & co. take gmtime() under
	# SQLite's mutex.
	SQLITE_OPTIONS="$SQLITE_OPTIONS -DHAVE_LOCALTIME_S=1" ;;
*)
	SQLITE_OPTIONS="$SQLITE_OPTIONS -DHAVE_USLEEP=1 -DHAVE_LOCALTIME_R=1
-DHAVE_GMTIME_R=1 -DHAVE_STRCHRNUL=1 -DHAVE_FDATASYNC=1" ;;
esac
# One line each: configure scripts choke on line breaks.
CROSS_CFLAGS=$(echo $CROSS_CFLAGS)
SQLITE_OPTIONS=$(echo $SQLITE_OPTIONS)
