#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# mnguard-helpdesk keygen, issue and phone end to end: files and modes,
# tokens checked with the openssl command (signature, kid, payload), the
# issue log, refusals with their exit codes and messages, and phone
# responses recomputed independently from the documented derivation.
# Prints PASS:/FAIL: lines (counted by tests/run-unit.sh).
set -u
HD=${MNG_HELPDESK:-build/default/mnguard-helpdesk}
HD=$(cd "$(dirname "$HD")" && pwd)/$(basename "$HD")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export HOME="$T/home"
mkdir "$HOME"
cd "$T" || exit 1
MID=0123456789abcdef0123456789abcdef
MID2=fedcba9876543210fedcba9876543210
RULE='allow id 0781:5567 serial "4C530001" mode ro'

check() { # name, command...: pass when the command succeeds
	n=$1
	shift
	if "$@" >"$T/out" 2>&1; then echo "PASS: $n"; else
		echo "FAIL: $n"
		sed 's/^/    /' "$T/out" | head -20
	fi
}
rc_is() { # name, expected status, command...
	n=$1
	want=$2
	shift 2
	"$@" >"$T/o" 2>"$T/e"
	got=$?
	if [ "$got" = "$want" ]; then echo "PASS: $n"; else
		echo "FAIL: $n (exit $got, expected $want)"
		sed 's/^/    /' "$T/e" | head -10
	fi
}
b64url_dec() { # base64url on stdin -> bytes on stdout
	s=$(tr -d '\n' | tr '_-' '/+')
	case $(( ${#s} % 4 )) in
	2) s="$s==" ;;
	3) s="$s=" ;;
	esac
	printf '%s' "$s" | base64 -d
}
kid_of_pub() { # PEM public key file -> kid
	openssl pkey -pubin -in "$1" -outform DER | tail -c 32 | sha256sum | cut -c1-16
}
# Damm check digit over the group number and the digits given.
damm() {
	set -- $(echo "$1$2" | sed 's/./& /g')
	x=0
	for d; do
		x=$(echo "0317598642 7092154863 4206871359 1750983426 6123045978 3674209581 5869720134 8945362017 9438617205 2581436790" |
			awk -v r="$x" -v c="$d" '{ print substr($(r + 1), c + 1, 1) }')
	done
	echo "$x"
}
code_of() { # 4k data digits -> the code with check digits, groups joined by -
	data=$1
	g=1
	out=""
	while [ -n "$data" ]; do
		grp=$(echo "$data" | cut -c1-4)
		data=$(echo "$data" | cut -c5-)
		out="$out${out:+-}$grp$(damm "$g" "$grp")"
		g=$((g + 1))
	done
	echo "$out"
}
hmac_hex() { # hex key, file -> hex HMAC-SHA256
	openssl mac -digest SHA256 -macopt "hexkey:$1" -in "$2" HMAC | tr 'A-F' 'a-f'
}

# ---- keygen ----
rc_is "keygen makes the keys" 0 "$HD" keygen --dir keys
cp "$T/o" "$T/keygen.out"
check "keygen: private files 0600, public 0644" sh -c \
	'[ "$(stat -c %a keys/helpdesk.key keys/policy.key keys/phone-master.key | sort -u)" = 600 ] &&
	 [ "$(stat -c %a keys/helpdesk.pub keys/policy.pub | sort -u)" = 644 ] &&
	 [ "$(stat -c %a keys)" = 700 ]'
check "keygen: Ed25519 public keys in PEM SubjectPublicKeyInfo" sh -c \
	'openssl pkey -pubin -in keys/helpdesk.pub -text_pub -noout | grep -q ED25519 &&
	 head -1 keys/policy.pub | grep -q "BEGIN PUBLIC KEY"'
check "keygen: help desk and policy keys differ" sh -c '! cmp -s keys/helpdesk.pub keys/policy.pub'
check "keygen: master secret is 64 hex digits" grep -Eqx '[0-9a-f]{64}' keys/phone-master.key
KID=$(kid_of_pub keys/helpdesk.pub)
PKID=$(kid_of_pub keys/policy.pub)
check "keygen prints each kid (SHA-256 of the raw public key)" sh -c \
	"grep -q 'kid $KID' '$T/keygen.out' && grep -q 'kid $PKID' '$T/keygen.out'"
cp keys/helpdesk.key "$T/hk.before"
rc_is "keygen never overwrites (exit 1)" 1 "$HD" keygen --dir keys
check "keygen refusal names the existing file" grep -q 'helpdesk.key exists' "$T/e"
check "the existing key is unchanged" cmp -s keys/helpdesk.key "$T/hk.before"
rc_is "keygen default directory" 0 "$HD" keygen
check "keygen default: ~/.config/mnguard-helpdesk" test -f "$HOME/.config/mnguard-helpdesk/helpdesk.key"
rc_is "keygen rejects an argument" 2 "$HD" keygen extra

# ---- issue ----
ISSUE="$HD issue --key keys/helpdesk.key --log log.csv --terminal $MID --user taro"
rc_is "issue a USB exemption" 0 $ISSUE --scope usb --rule "$RULE" --for 2h --uses 3 \
	--ticket INC-123 --reason '=HYPERLINK("http://x")' --operator 'sato, "lead"' --out usb.mngx
TOKEN=$(cat "$T/o")
check "the token is printed and written to --out" sh -c "[ \"\$(cat usb.mngx)\" = '$TOKEN' ]"
check "token file 0600" sh -c '[ "$(stat -c %a usb.mngx)" = 600 ]'
check "token starts with mngx1." sh -c "echo '$TOKEN' | grep -q '^mngx1\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]\{86\}$'"
SIGNED=${TOKEN%.*}
printf '%s' "$SIGNED" >signed
printf '%s' "${TOKEN##*.}" | b64url_dec >sig
check "signature verifies with openssl under helpdesk.pub" \
	openssl pkeyutl -verify -rawin -pubin -inkey keys/helpdesk.pub -in signed -sigfile sig
check "signature does not verify under policy.pub" sh -c \
	'! openssl pkeyutl -verify -rawin -pubin -inkey keys/policy.pub -in signed -sigfile sig'
printf '%s' "${SIGNED#mngx1.}" | b64url_dec >payload.json
check "payload: fields in canonical order" grep -q \
	"^{\"v\":1,\"id\":\"[0-9a-f]\{32\}\",\"kid\":\"$KID\",\"iat\":[0-9]*,\"nbf\":[0-9]*,\"exp\":[0-9]*,\"term\":\"$MID\",\"user\":\"taro\",\"scope\":\"usb\",\"obj\":\"allow id 0781:5567 serial \\\\\"4C530001\\\\\" mode ro\",\"uses\":3,\"ticket\":\"INC-123\"" \
	payload.json
check "payload: lifetime is 2 h" sh -c \
	'nbf=$(sed "s/.*\"nbf\":\([0-9]*\).*/\1/" payload.json); exp=$(sed "s/.*\"exp\":\([0-9]*\).*/\1/" payload.json); [ $((exp - nbf)) = 7200 ]'
ID=$(sed 's/.*"id":"\([0-9a-f]*\)".*/\1/' payload.json)
check "log: header line" sh -c 'head -1 log.csv | grep -qx "time,id,kind,terminal,user,scope,object,not_before,not_after,uses,ticket,reason,operator"'
check "log: the issued line, RFC 4180 quoting, formula neutralised" grep -q \
	"^\"[0-9T:-]*Z\",\"$ID\",\"token\",\"$MID\",\"taro\",\"usb\",\"allow id 0781:5567 serial \"\"4C530001\"\" mode ro\",\"[0-9T:-]*Z\",\"[0-9T:-]*Z\",\"3\",\"INC-123\",\"'=HYPERLINK(\"\"http://x\"\")\",\"sato, \"\"lead\"\"\"\$" \
	log.csv
check "log file 0600" sh -c '[ "$(stat -c %a log.csv)" = 600 ]'
rc_is "default --out is ./ID.mngx" 0 $ISSUE --scope print --printer office-3F --ticket INC-2 --reason r
PID=$(printf '%s' "$(cat "$T/o")" | cut -d. -f2 | b64url_dec | sed 's/.*"id":"\([0-9a-f]*\)".*/\1/')
check "default --out file exists" test -s "$PID.mngx"
rc_is "--out is never overwritten (exit 1)" 1 $ISSUE --scope clipboard --ticket INC-3 --reason r --out usb.mngx
check "the refused token is not logged" sh -c '! grep -q INC-3 log.csv'
rc_is "--out - prints only" 0 $ISSUE --scope login --ticket INC-4 --reason r --out -
check "login token, 1 h by default" sh -c \
	"cut -d. -f2 '$T/o' | { s=\$(tr '_-' '/+'); while [ \$((\${#s} % 4)) != 0 ]; do s=\"\$s=\"; done; printf '%s' \"\$s\" | base64 -d; } | grep -q '\"scope\":\"login\",\"obj\":\"\"'"
rc_is "issue --not-before/--not-after in UTC" 0 $ISSUE --scope clipboard --ticket INC-5 --reason r \
	--out - --not-before +1h --not-after +3h
rc_is "ISO times with an offset" 0 $ISSUE --scope clipboard --ticket INC-6 --reason r --out - \
	--not-before 2099-01-01T09:00+09:00 --not-after 2099-01-01T12:00+09:00 --max-lifetime 4h
cut -d. -f2 "$T/o" | b64url_dec >"$T/o.json"
check "the offset is applied (nbf 2099-01-01T00:00Z)" grep -q '"nbf":4070908800,"exp":4070919600' "$T/o.json"

# ---- refusals ----
rc_is "lifetime over the maximum: exit 3" 3 $ISSUE --scope clipboard --ticket X --reason r --for 9h
check "... with a clear message" grep -q 'refused: lifetime 540 min is over the maximum of 480 min' "$T/e"
rc_is "--max-lifetime lowers the maximum" 3 $ISSUE --scope clipboard --ticket X --reason r --for 2h --max-lifetime 1h
rc_is "--max-lifetime raises it" 0 $ISSUE --scope clipboard --ticket X --reason r --for 9h --max-lifetime 10h --out -
rc_is "'*' terminal without --allow-any-terminal: exit 3" 3 "$HD" issue --key keys/helpdesk.key \
	--log log.csv --terminal '*' --user taro --scope clipboard --ticket X --reason r
check "... says how" grep -q 'allow-any-terminal' "$T/e"
rc_is "'*' terminal with --allow-any-terminal" 0 "$HD" issue --key keys/helpdesk.key --log log.csv \
	--terminal '*' --user taro --scope clipboard --ticket X --reason r --allow-any-terminal --out -
rc_is "block rule: exit 3" 3 $ISSUE --scope usb --rule 'block id 0781:5567' --ticket X --reason r
check "... names the allow requirement" grep -q 'must be an allow rule' "$T/e"
rc_is "rule that does not parse: exit 2" 2 $ISSUE --scope usb --rule 'allow id 0781' --ticket X --reason r
check "... with the parser's message" grep -q 'USB rule does not parse' "$T/e"
rc_is "two rules: exit 2" 2 $ISSUE --scope usb --rule "$(printf 'allow\nallow')" --ticket X --reason r
rc_is "usb without --rule: exit 2" 2 $ISSUE --scope usb --ticket X --reason r
rc_is "--rule with scope print: exit 2" 2 $ISSUE --scope print --rule "$RULE" --printer p --ticket X --reason r
rc_is "printer name with a slash: exit 2" 2 $ISSUE --scope print --printer 'a/b' --ticket X --reason r
rc_is "login for any user: exit 2" 2 "$HD" issue --key keys/helpdesk.key --log log.csv --terminal $MID \
	--user '*' --scope login --ticket X --reason r
rc_is "bad machine-id: exit 2" 2 "$HD" issue --key keys/helpdesk.key --log log.csv --terminal ABC \
	--user taro --scope clipboard --ticket X --reason r
rc_is "uses 1001: exit 2" 2 $ISSUE --scope clipboard --ticket X --reason r --uses 1001
rc_is "uses 0: exit 2" 2 $ISSUE --scope clipboard --ticket X --reason r --uses 0
rc_is "reason with a newline: exit 2" 2 $ISSUE --scope clipboard --ticket X --reason "$(printf 'a\nb')"
rc_is "reason with a bidi override: exit 2" 2 $ISSUE --scope clipboard --ticket X --reason "$(printf 'a\342\200\256b')"
rc_is "missing --ticket: exit 2" 2 $ISSUE --scope clipboard --reason r
rc_is "--not-after before --not-before: exit 2" 2 $ISSUE --scope clipboard --ticket X --reason r \
	--not-before +2h --not-after +1h
rc_is "--not-before in the past: exit 2" 2 $ISSUE --scope clipboard --ticket X --reason r --not-before @1000
rc_is "--for and --not-after together: exit 2" 2 $ISSUE --scope clipboard --ticket X --reason r --for 1h --not-after +1h
rc_is "garbage duration: exit 2" 2 $ISSUE --scope clipboard --ticket X --reason r --for 2x
chmod 640 keys/helpdesk.key
rc_is "private key readable by the group: exit 1" 1 $ISSUE --scope clipboard --ticket X --reason r
check "... says so" grep -q 'accessible by group or others' "$T/e"
chmod 600 keys/helpdesk.key
ln -s "$T/keys/helpdesk.key" keys/link.key
rc_is "private key through a symlink: exit 1" 1 $ISSUE --scope clipboard --ticket X --reason r --key keys/link.key
rc_is "a public key as --key: exit 1" 1 $ISSUE --scope clipboard --ticket X --reason r --key keys/helpdesk.pub
check "refusals log nothing (2 of the X tickets were issued)" sh -c "[ \$(grep -c ',\"X\",' log.csv) = 2 ]"
rc_is "log that cannot be written: exit 1" 1 $ISSUE --scope clipboard --ticket L --reason r --log "$T/nodir/log.csv" --out logfail.mngx
check "... and no token left behind" test ! -e logfail.mngx

# ---- phone ----
MASTER=$(cat keys/phone-master.key)
printf 'mnguard phone v1\000%s' "$MID" >kt.msg
KT=$(hmac_hex "$MASTER" kt.msg)
rc_is "phone terminal-key" 0 "$HD" phone terminal-key --terminal $MID --master keys/phone-master.key
check "terminal key = HMAC-SHA256(master, \"mnguard phone v1\\0\" machine-id)" sh -c "[ \"\$(cat '$T/o')\" = '$KT' ]"
"$HD" phone terminal-key --terminal $MID2 --master keys/phone-master.key >"$T/o2"
check "another terminal gets another key" sh -c "! cmp -s '$T/o' '$T/o2'"
rc_is "terminal-key: bad machine-id, exit 2" 2 "$HD" phone terminal-key --terminal xyz --master keys/phone-master.key
DATA=1081471112345678 # usb, 8 x 15 min, 1 use, subject 4711, nonce 12345678
CODE=$(code_of $DATA)
check "test Damm matches the published example (572 -> 4)" test "$(damm '' 572)" = 4
rc_is "phone respond" 0 "$HD" phone respond "$CODE" --terminal $MID --user taro --ticket INC-9 \
	--master keys/phone-master.key --log log.csv --reason 'over the phone'
check "respond shows what is asked" grep -q 'request: scope usb, 120 minutes, 1 use, subject 4711' "$T/o"
printf 'mnguard phone response v1\000%s\000taro\000INC-9' "$DATA" >resp.msg
MAC=$(hmac_hex "$KT" resp.msg | cut -c1-16)
r=0
for i in 0 4 8 12; do r=$(( (r * 65536 + 0x$(echo "$MAC" | cut -c$((i + 1))-$((i + 4)))) % 1000000000000 )); done
WANT=$(code_of "$(printf '%012d' "$r")")
check "response = HMAC under the terminal key, 12 digits, check-digited" grep -qx "response: $WANT" "$T/o"
check "phone log line" grep -q "^\"[0-9T:-]*Z\",\"$CODE\",\"phone\",\"$MID\",\"taro\",\"usb\",\"subject 4711\",.*,\"1\",\"INC-9\",\"over the phone\"," log.csv
rc_is "respond: code given as separate groups" 0 "$HD" phone respond $(echo "$CODE" | tr '-' ' ') \
	--terminal $MID --user taro --ticket INC-9 --master keys/phone-master.key --log log.csv
check "... same response" grep -qx "response: $WANT" "$T/o"
BAD=$(echo "$CODE" | awk -F- '{ d = substr($3, 2, 1); $3 = substr($3, 1, 1) ((d + 1) % 10) substr($3, 3); print $1 "-" $2 "-" $3 "-" $4 }')
rc_is "a misheard digit: exit 2" 2 "$HD" phone respond "$BAD" --terminal $MID --user taro --ticket INC-9 \
	--master keys/phone-master.key --log log.csv
check "... names the group" grep -q 'check digit wrong in group 3' "$T/e"
check "... and prints no response" sh -c "! grep -q response '$T/o'"
rc_is "a dropped digit: exit 2" 2 "$HD" phone respond "$(echo "$CODE" | cut -c2-)" --terminal $MID \
	--user taro --ticket INC-9 --master keys/phone-master.key --log log.csv
check "... names the short group" grep -q 'group 1 has 4 digits' "$T/e"
rc_is "24 h request over the 8 h maximum: exit 3" 3 "$HD" phone respond "$(code_of 1961000012345678)" \
	--terminal $MID --user taro --ticket INC-9 --master keys/phone-master.key --log log.csv
rc_is "respond without --ticket: exit 2" 2 "$HD" phone respond "$CODE" --terminal $MID --user taro \
	--master keys/phone-master.key
rc_is "respond for terminal '*': exit 2" 2 "$HD" phone respond "$CODE" --terminal '*' --user taro \
	--ticket T --master keys/phone-master.key
chmod 644 keys/phone-master.key
rc_is "master readable by others: exit 1" 1 "$HD" phone respond "$CODE" --terminal $MID --user taro \
	--ticket INC-9 --master keys/phone-master.key --log log.csv
chmod 600 keys/phone-master.key
rc_is "unknown phone command: exit 2" 2 "$HD" phone ring
exit 0
