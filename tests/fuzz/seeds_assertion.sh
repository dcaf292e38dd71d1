#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Makes the seed corpus of fuzz_assertion: real ES256 assertions signed with
# OpenSSL over authenticator data for relying party "mnguard.test" and a
# client data hash of 32 bytes of 0x5a, laid out as fuzz_assertion.c reads
# them. Run from the repository root; writes tests/fuzz/corpus/assertion/.
set -eu
out=tests/fuzz/corpus/assertion
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/key.pem" 2>/dev/null
openssl ec -in "$tmp/key.pem" -pubout -outform DER -out "$tmp/spki.der" 2>/dev/null

# u16be N: two bytes, big-endian
u16be() { printf "\\$(printf %03o $(($1 >> 8)))\\$(printf %03o $(($1 & 255)))"; }

seed() { # NAME FLAGS COUNTER(4 bytes as octal escapes)
	printf 'mnguard.test' | openssl dgst -sha256 -binary >"$tmp/ad"
	printf "\\$(printf %03o "$2")$3" >>"$tmp/ad"
	{ cat "$tmp/ad"; head -c 32 /dev/zero | tr '\0' 'Z'; } >"$tmp/signed"
	openssl dgst -sha256 -sign "$tmp/key.pem" -out "$tmp/sig" "$tmp/signed"
	{
		u16be 39
		printf '\130\045'
		cat "$tmp/ad"
		u16be "$(wc -c <"$tmp/sig")"
		cat "$tmp/sig"
		cat "$tmp/spki.der"
	} >"$out/$1"
}
seed up-uv-1 5 '\000\000\000\001'
seed up-only-2 1 '\000\000\000\002'
seed up-uv-big 5 '\177\377\377\377'
seed ed-flag 133 '\000\000\000\003'
