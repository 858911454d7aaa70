# arch.sh - sourced with $arch set: the toolchain of each target.  The C
# compiler is Debian's musl wrapper; no *-linux-musl-ar exists, so the
# binutils are the GNU cross ones.
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
*)
	echo "arch \"$arch\": x86_64, aarch64 or armhf" >&2
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
# compile options, Tcl variables: all plain #ifdef code, safe with the
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
-DSQLITE_ENABLE_API_ARMOR -DHAVE_USLEEP=1 -DHAVE_LOCALTIME_R=1
-DHAVE_GMTIME_R=1 -DHAVE_STRCHRNUL=1 -DHAVE_FDATASYNC=1"
# One line each: configure scripts choke on line breaks.
CROSS_CFLAGS=$(echo $CROSS_CFLAGS)
SQLITE_OPTIONS=$(echo $SQLITE_OPTIONS)
