#!/bin/sh
# peers.sh DIR - the mail programs make bench compares against, taken out
# of their Debian packages and never installed: `apt-get download` the
# .debs into DIR/debs, `dpkg -x` them into DIR/root.  Nothing lands in the
# system's paths, and no package becomes the system's mail agent.
#
#   postfix      smtp-sink, the loopback sink (libs: DIR/root/usr/lib/postfix)
#   msmtp        one run per message
#   nullmailer   nullmailer-send, run in a chroot (bench_flush.py builds it)
#
# The libraries a peer needs that the system lacks (msmtp: libgsasl18,
# libsecret-1-0 ...) are fetched the same way, by following the lib*
# dependencies that are not installed; they are found through
# LD_LIBRARY_PATH=DIR/root/usr/lib/<multiarch>.  DIR/versions lists what
# was fetched.  Quick when DIR/versions is there.
set -eu

mkdir -p "$1"
dir=$(cd "$1" && pwd)
peers="postfix msmtp nullmailer"
[ -s "$dir/versions" ] && exit 0

# apt-get download needs the package lists.
apt-cache show postfix >/dev/null 2>&1 || apt-get update -qq
mkdir -p "$dir/debs"
rm -rf "$dir/root"
cd "$dir/debs"

installed() {
	case "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" in
	*" installed") return 0 ;;
	esac
	return 1
}

# The packages to fetch: the peers, then the lib* packages they depend on
# (transitively) that are not installed here.
want=$peers
todo=$peers
while [ -n "$todo" ]; do
	next=""
	for p in $todo; do
		for d in $(apt-cache depends "$p" 2>/dev/null |
		    awk '/^ *\|?(Pre)?Depends:/ && $2 !~ /^</ { print $2 }'); do
			case "$d" in lib*) ;; *) continue ;; esac
			installed "$d" && continue
			case " $want " in *" $d "*) continue ;; esac
			want="$want $d"
			next="$next $d"
		done
	done
	todo=$next
done

echo "peers: apt-get download $want" >&2
# apt-get download writes as the _apt user where it can; a directory it
# cannot write only earns a warning.
# shellcheck disable=SC2086
apt-get download -qq $want 2>&1 | grep -v '^W: Download is performed unsandboxed' \
    >&2 || true
for p in $want; do
	deb=$(ls "$p"_*.deb 2>/dev/null | head -n 1)
	if [ -z "$deb" ]; then
		echo "peers: could not download $p (apt-get update?)" >&2
		exit 1
	fi
	dpkg -x "$deb" "$dir/root"
done
for p in $want; do
	deb=$(ls "$p"_*.deb | head -n 1)
	echo "$p $(dpkg-deb -f "$deb" Version)"
done > "$dir/versions.tmp"
mv "$dir/versions.tmp" "$dir/versions"
