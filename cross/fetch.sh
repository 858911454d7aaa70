#!/bin/sh
# fetch.sh DIR [openssl] - fetches the Debian source packages the static
# build uses (and OpenSSL's, for TLS=openssl)
# into DIR (a cache), checks every tarball against cross/SHA256SUMS, and
# unpacks each into DIR/<name>/ (with Debian's patches when the .dsc and
# the Debian tarball arrived).  A tarball whose sum differs stops the
# build: the security suite moves, and what we build must be what we pinned.
#
#   cross/fetch.sh build/cross/src            fetch, check, unpack
#   cross/fetch.sh build/cross/src openssl    the same, with OpenSSL
#   PIN=1 cross/fetch.sh build/cross/src      print the sums to pin
set -eu

here=$(cd "$(dirname "$0")" && pwd)
dir=$1
shift
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# source package, suite: libinih 55's tarballs are missing on the bookworm
# mirror, trixie's 59 builds as is.
SOURCES="zlib:bookworm mbedtls:bookworm curl:bookworm libharu:bookworm
sqlite3:bookworm libinih:trixie"
for extra in "$@"; do
	SOURCES="$SOURCES $extra:bookworm"
done

lists=$dir/.apt
mkdir -p "$lists/lists/partial"
# The archives are the ones this machine's apt already uses (one-line
# sources.list or deb822 .sources): the first URI serving bookworm, and
# the first serving bookworm-security.
apt_uri() {	# apt_uri SUITE
	{ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
	    2>/dev/null | sed 's/\[[^]]*\]//' |
	    awk -v s="$1" '$1 == "deb" && $3 == s { print $2; exit }'
	  cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v s="$1" '
		/^[ \t]*$/ { if (u != "" && hit) { print u; exit } u = ""; hit = 0 }
		tolower($1) == "uris:" { u = $2 }
		tolower($1) == "suites:" { for (i = 2; i <= NF; i++)
			if ($i == s) hit = 1 }
		END { if (u != "" && hit) print u }'
	} | head -n 1
}
main_uri=$(apt_uri bookworm)
security_uri=$(apt_uri bookworm-security)
[ -n "$main_uri" ] || { echo "fetch: no apt source serves bookworm" >&2
	exit 1; }
{
	echo "deb-src $main_uri bookworm main"
	echo "deb-src $main_uri bookworm-updates main"
	[ -z "$security_uri" ] ||
	    echo "deb-src $security_uri bookworm-security main"
	echo "deb-src $main_uri trixie main"
} > "$lists/sources.list"
apt_opts="-o Dir::Etc::sourcelist=$lists/sources.list
-o Dir::Etc::sourceparts=- -o Dir::State::Lists=$lists/lists
-o APT::Get::Only-Source=true -o Debug::NoLocking=1"

need=""
for s in $SOURCES; do
	[ -d "$dir/${s%%:*}" ] || need="$need $s"
done
if [ -n "$need" ] || [ -n "${PIN:-}" ]; then
	# shellcheck disable=SC2086
	[ -n "$(ls "$lists/lists" 2>/dev/null | grep -v partial)" ] ||
	    apt-get $apt_opts update -qq
	cd "$dir"
	for s in $need; do
		name=${s%%:*}
		suite=${s#*:}
		# Some mirrors lack a Debian tarball: keep what arrived.
		# shellcheck disable=SC2086
		apt-get $apt_opts source --download-only -t "$suite" \
		    "$name/$suite" >/dev/null 2>&1 ||
		    apt-get $apt_opts source --download-only "$name/$suite" \
		    >/dev/null 2>&1 || true
	done
fi
cd "$dir"
if [ -n "${PIN:-}" ]; then
	sha256sum ./*.tar.* | sed 's| \./| |'
	exit 0
fi
# Every tarball we use is pinned; anything else is ignored.
sha256sum -c --quiet --ignore-missing "$here/SHA256SUMS"
for s in $SOURCES; do
	name=${s%%:*}
	[ -d "$dir/$name" ] && continue
	orig=$(awk -v n="$name" '$2 ~ "^"n"_[^_]*[.]orig[.]tar" {print $2}' \
	    "$here/SHA256SUMS" | head -n 1)
	[ -n "$orig" ] && [ -f "$orig" ] || {
		echo "fetch: no pinned source for $name" >&2; exit 1; }
	dsc=$(ls "${orig%%.orig*}"*.dsc 2>/dev/null | head -n 1 || true)
	deb=$(ls "${orig%%.orig*}"*.debian.tar.* 2>/dev/null | head -n 1 ||
	    true)
	if [ -n "$dsc" ] && [ -n "$deb" ] && grep -q "$(basename "$deb")" \
	    "$here/SHA256SUMS"; then
		dpkg-source --no-check -x "$dsc" "$name.tmp" >/dev/null
	else
		mkdir "$name.tmp"
		tar -xf "$orig" -C "$name.tmp" --strip-components=1
	fi
	mv "$name.tmp" "$name"
done
