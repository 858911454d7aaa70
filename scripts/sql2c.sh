#!/bin/sh
# sql2c.sh - compiles the numbered migrations of db/ into a C array, so the
# binary carries its schema.  Usage: sql2c.sh db/001_x.sql db/002_y.sql ...
# The files must be named NNN_name.sql and numbered 1, 2, 3... in order.
set -eu
echo '/* Generated from db/*.sql by scripts/sql2c.sh; do not edit. */'
echo '#include <stddef.h>'
echo '#include "migrations.h"'
echo 'const struct migration migrations[] = {'
n=0
for f in "$@"; do
	n=$((n + 1))
	base=$(basename "$f")
	num=$(echo "$base" | sed -n 's/^0*\([0-9][0-9]*\)_.*\.sql$/\1/p')
	if [ "$num" != "$n" ]; then
		echo "sql2c: $f: expected migration number $n" >&2
		exit 1
	fi
	printf '\t{ %d, "%s",\n' "$n" "$base"
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t    "/' -e 's/$/\\n"/' "$f"
	printf '\t},\n'
done
echo '};'
echo "const size_t migrations_count = $n;"
