#!/usr/bin/env bash
# Fetch the four faces again from the npm registry and check them against SHA256SUMS.
# The files are kept in the repository (the build needs no network and no Node.js); this
# only shows where they came from, or brings a new version in (edit VERSION and INTEGRITY,
# run it with --write, then update SHA256SUMS and README.md).
set -euo pipefail
cd "$(dirname "$0")"
PACKAGE=@expo-google-fonts/eb-garamond
VERSION=0.4.3
INTEGRITY=sha512-8HsDPKN6vDlzxZLgo3UFcyr4uvtY33TBpM65owySnF8cy8hq0ss8AWmBvT/lMRJ/wfcoaPP8gFQsizPRvr0nqg==
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tarball=$(cd "$work" && npm pack --silent "$PACKAGE@$VERSION")
got="sha512-$(openssl dgst -sha512 -binary "$work/$tarball" | base64 -w0)"
[ "$got" = "$INTEGRITY" ] || { echo "integrity mismatch: $got"; exit 1; }
tar -xzf "$work/$tarball" -C "$work"
p="$work/package"
declare -A from=(
  [EBGaramond-Regular.ttf]=400Regular/EBGaramond_400Regular.ttf
  [EBGaramond-Italic.ttf]=400Regular_Italic/EBGaramond_400Regular_Italic.ttf
  [EBGaramond-Bold.ttf]=700Bold/EBGaramond_700Bold.ttf
  [EBGaramond-BoldItalic.ttf]=700Bold_Italic/EBGaramond_700Bold_Italic.ttf
)
mkdir -p "$work/faces"
for name in "${!from[@]}"; do cp "$p/${from[$name]}" "$work/faces/$name"; done
cp "$p/LICENSE_FONT" "$work/faces/OFL.txt"
if [ "${1:-}" = "--write" ]; then
  cp "$work"/faces/* .
  sha256sum EBGaramond-Regular.ttf EBGaramond-Italic.ttf EBGaramond-Bold.ttf EBGaramond-BoldItalic.ttf
else
  (cd "$work/faces" && sha256sum -c "$OLDPWD/SHA256SUMS") && cmp OFL.txt "$work/faces/OFL.txt" \
    && echo "the files here are $PACKAGE@$VERSION's"
fi
