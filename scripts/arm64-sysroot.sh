#!/usr/bin/env bash
# Makes a sysroot in which Debian's arm64 Node runs under qemu-user:
#   qemu-aarch64-static -L DIR DIR/usr/bin/node …
# It holds `dpkg-deb -x` of nodejs:arm64, the arm64 libraries it links (the Depends closure,
# lib* packages only), and the arch-independent JS modules Debian's libnode loads at startup.
# Nothing is installed on the host except the arm64 package lists (dpkg --add-architecture).
# Reuses DIR when a previous run completed it (stamp file). Needs root for apt-get update.
#
# Usage: scripts/arm64-sysroot.sh DIR
set -euo pipefail
dir=${1:?usage: arm64-sysroot.sh DIR}
stamp="$dir/.ringcache-sysroot"
if [ -f "$stamp" ] && [ -x "$dir/usr/bin/node" ]; then
  echo "arm64-sysroot: reusing $dir ($(wc -l <"$stamp") packages)"
  exit 0
fi

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
  apt-get update -qq
elif ! apt-cache show nodejs:arm64 >/dev/null 2>&1; then
  apt-get update -qq
fi

# The runtime closure of nodejs:arm64, restricted to its arm64 libraries and zlib (the rest of the
# closure is dpkg, perl, python… which node never touches), plus the JS modules libnode
# requires from /usr/share/nodejs (acorn, cjs-module-lexer, undici).
mapfile -t pkgs < <(
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances --no-pre-depends nodejs:arm64 |
    grep -E '^(lib[a-z0-9.+-]+|zlib1g|nodejs):arm64$' | sort -u
  printf '%s\n' node-acorn node-cjs-module-lexer node-undici
)
debs="$dir.debs"
rm -rf "$dir" "$debs"
mkdir -p "$dir" "$debs"
# apt-get download writes into the current directory; _apt needs to be able to write there.
(cd "$debs" && chmod 777 . && apt-get download -qq "${pkgs[@]}")
for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$dir"; done
ls "$debs" >"$stamp"
rm -rf "$debs"
echo "arm64-sysroot: $dir ($(wc -l <"$stamp") packages, $(du -sm "$dir" | cut -f1) MB)"
