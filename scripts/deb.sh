#!/usr/bin/env bash
# Builds the Debian packages (libnginx-mod-http-ims-member, its -dbgsym and
# the native source package) from a copy of the working tree in a temporary
# directory, so that the tree and its build/ stay as they are; leaves them
# in build/deb/ and runs lintian on them (an error fails).
#
# The copy holds the files git tracks and the new ones it does not ignore,
# as they are in the tree: uncommitted edits are built too.

set -euo pipefail
cd "$(dirname "$0")/.."

top=$(pwd)
out=$top/build/deb
name=$(dpkg-parsechangelog -S Source)
version=$(dpkg-parsechangelog -S Version)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ims-member-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

src=$tmp/$name-$version
mkdir "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # a file deleted but not yet committed is listed and missing
    git ls-files -z --cached --others --exclude-standard \
        | tar --null --ignore-failed-read -T - -cf - 2>/dev/null \
        | tar -x -C "$src"
else
    tar --exclude=./build --exclude='./t/servroot*' -cf - . \
        | tar -x -C "$src"
fi

echo "building $name $version in $tmp"
rm -rf "$out"
mkdir -p "$out"
if ! (cd "$src" && dpkg-buildpackage -us -uc) > "$out/build.log" 2>&1; then
    tail -40 "$out/build.log"
    echo "dpkg-buildpackage failed: the whole log is build/deb/build.log" >&2
    exit 1
fi

cp "$tmp"/*.deb "$tmp"/*.dsc "$tmp"/*.tar.* \
   "$tmp"/*.buildinfo "$tmp"/*.changes "$out"/

ls -1 "$out"

# the source and the binary packages; -I shows the informational tags too.
# lintian would rather not run as root: as nobody where nobody can read them
changes=$(ls "$out"/*.changes)
as=()
if [ "$(id -u)" = 0 ] && runuser -u nobody -- test -r "$changes" 2>/dev/null
then
    as=(runuser -u nobody --)
fi
"${as[@]}" lintian -I --fail-on error "$changes"
