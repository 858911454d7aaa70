#!/bin/sh
# pkgflags.sh OUT STATIC PKG... - asks pkg-config for the compiler and
# linker flags of the libraries, and writes them to OUT.cflags and
# OUT.libs.  OUT itself is touched only when the flags changed, so the
# objects that depend on it are rebuilt then and only then.  Run by make
# when the build starts, after `deps` installed the packages: flags read
# when make parses the Makefile would be those of a machine without them.
#
# A library pkg-config does not know stops the build here, with its name
# and the packages to install, instead of at the link.  The libraries
# named in PKG_CFLAGS_ONLY give their compiler flags only: the program
# loads them itself (libcurl, include/curl_dl.h).  Those named in
# PKG_LINK_STATIC are linked from their archives (-Wl,-Bstatic ...
# -Wl,-Bdynamic, $CC -print-file-name finding them; a library without
# its archive is linked shared), and what they need, pkg-config
# --static says, shared: each shared library costs every start its own
# mappings and relocations (the Makefile says how much).
set -eu

out=$1
static=$2
shift 2
PKG_CONFIG=${PKG_CONFIG:-pkg-config}

# Whether the compiler finds the archive of each library of package $1.
has_archives() {
	for l in $($PKG_CONFIG --libs-only-l "$1"); do
		a=lib${l#-l}.a
		# shellcheck disable=SC2086
		[ "$(${CC:-cc} -print-file-name="$a")" != "$a" ] || return 1
	done
}

if [ $# -gt 0 ]; then
	missing=""
	for p in "$@"; do
		$PKG_CONFIG --exists "$p" 2>/dev/null || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		echo "build: $PKG_CONFIG does not know:$missing" >&2
		echo "build: run 'make deps' as root (it installs the Debian" \
		    "packages), or install their -dev packages" >&2
		exit 1
	fi
	# shellcheck disable=SC2086
	cflags=$($PKG_CONFIG --cflags "$@")
	linked=""
	for p in "$@"; do
		case " ${PKG_CFLAGS_ONLY:-} " in
		*" $p "*) ;;
		*) linked="$linked $p" ;;
		esac
	done
	archived="" shared=""
	for p in $linked; do
		case " ${PKG_LINK_STATIC:-} " in
		*" $p "*) if has_archives "$p"; then
				archived="$archived $p"
				continue
			fi ;;
		esac
		shared="$shared $p"
	done
	libs=
	if [ -n "$archived" ]; then
		# shellcheck disable=SC2086
		own=$($PKG_CONFIG --libs $archived)
		need=
		# shellcheck disable=SC2086
		for f in $($PKG_CONFIG --static --libs $archived); do
			case " $own " in
			*" $f "*) ;;
			*) need="$need $f" ;;
			esac
		done
		libs="-Wl,-Bstatic ${own% } -Wl,-Bdynamic$need"
	fi
	if [ -n "$shared" ]; then
		# shellcheck disable=SC2086
		libs="${libs:+$libs }$($PKG_CONFIG $static --libs $shared)"
	fi
else
	cflags= libs=
fi
new=$(printf '%s\n%s\n' "$cflags" "$libs")
if [ ! -f "$out" ] || [ "$(cat "$out")" != "$new" ]; then
	printf '%s\n' "$cflags" > "$out.cflags"
	printf '%s\n' "$libs" > "$out.libs"
	printf '%s\n' "$new" > "$out"
fi
