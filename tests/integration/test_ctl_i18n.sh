#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# mnguardctl in Japanese: what staff at the terminal read (exemption redeem,
# request, enter and list; status; list-devices; the agent not running;
# usage errors) comes in Japanese under LANGUAGE=ja LC_ALL=ja_JP.UTF-8 and in
# English under LC_ALL=C, with the same exit codes, and machine output
# (--json) is the same in both. The refusals come from a real mnguardd in a
# umockdev testbed: a garbage token, an expired token (signed here with
# openssl under the help desk key), a misheard phone response code.
#
# The catalogue: mnguardctl reads it only from the LOCALEDIR it was built
# with, never from the environment, so this test builds its own mnguardctl
# (in $MNG_BUILD/ctl-i18n) with LOCALEDIR pointing at that build tree's
# locale directory. The ja_JP.UTF-8 locale is built with localedef into a
# temporary directory (LOCPATH); nothing is installed system-wide.
# Prints PASS:/FAIL: lines (counted by tests/run-unit.sh).
set -u
BUILD=${MNG_BUILD:-build/default}
HD=${MNG_HELPDESK:-$BUILD/mnguard-helpdesk}
AGENT=${MNG_AGENT:-$BUILD/mnguardd}
D=tests/data/umockdev
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

check() { # name, command...: pass when the command succeeds
	n=$1
	shift
	if "$@" >"$T/out" 2>&1; then echo "PASS: $n"; else
		echo "FAIL: $n"
		sed 's/^/    /' "$T/out" | head -20
	fi
}

for t in localedef umockdev-run openssl msgfmt; do
	if ! command -v $t >/dev/null 2>&1; then
		echo "FAIL: test_ctl_i18n needs $t (apt-get install locales umockdev openssl gettext)"
		exit 1
	fi
done

# ---- the test build: LOCALEDIR is this tree's locale directory ----
TB=$BUILD/ctl-i18n
mkdir -p "$TB"
TBA=$(cd "$TB" && pwd)
if ! env MAKEFLAGS= MAKELEVEL= make -s BUILD="$TB" LOCALEDIR="$TBA/locale" "$TB/mnguardctl" \
	"$TB/locale/ja/LC_MESSAGES/mnguard.mo" >"$T/make.out" 2>&1; then
	echo "FAIL: mnguardctl builds with LOCALEDIR=$TB/locale"
	sed 's/^/    /' "$T/make.out" | tail -20
	exit 1
fi
CTL=$TB/mnguardctl
echo "PASS: mnguardctl builds with LOCALEDIR=$TB/locale"

mkdir -p "$T/locale"
localedef -i ja_JP -f UTF-8 "$T/locale/ja_JP.UTF-8" >/dev/null 2>&1
export LOCPATH="$T/locale"
check "the ja_JP.UTF-8 locale was built" test -d "$T/locale/ja_JP.UTF-8"
unset LANG LC_MESSAGES LC_CTYPE

# ja NAME command...: run in Japanese; en NAME command...: in the C locale
# (LANGUAGE=ja is set there too: the C locale must win). Output in $T/NAME,
# exit status in $T/NAME.rc. Sourced here and inside the testbed.
cat >"$T/lang.sh" <<'LANG'
ja() {
	n=$1
	shift
	LANGUAGE=ja LC_ALL=ja_JP.UTF-8 "$@" >"$T/$n" 2>&1
	echo $? >"$T/$n.rc"
}
en() {
	n=$1
	shift
	LANGUAGE=ja LC_ALL=C "$@" >"$T/$n" 2>&1
	echo $? >"$T/$n.rc"
}
LANG
. "$T/lang.sh"
rc_of() { cat "$T/$1.rc"; }
has() { grep -qF -- "$2" "$T/$1"; }
# no Japanese at all in the output: every byte is ASCII
ascii() { ! LC_ALL=C grep -q '[^ -~]' "$T/$1"; }

# ---- the catalogue covers every marked message, and the agent's phrases exist ----
if command -v xgettext >/dev/null 2>&1 && command -v msgcmp >/dev/null 2>&1; then
	xgettext -k_ -kN_ --from-code=UTF-8 -o "$T/ctl.pot" tools/mnguardctl.c tools/ctl_exempt.c \
		tools/ctl_agent.c tools/ctl_util.c
	check "every message marked in mnguardctl has a Japanese translation (msgcmp)" \
		msgcmp po/ja.po "$T/ctl.pot"
	check "at least 90 messages are marked" test "$(grep -c '^msgid "..*"$\|^msgid ""$' "$T/ctl.pot")" -ge 90
fi
sed -n '/^} phrases\[\] = {/,/^};/p' tools/ctl_util.c | grep -o '{"[^"]*", *\(NULL\|"[^"]*"\)' |
	sed 's/^{"\([^"]*\)", *\(NULL\|"\([^"]*\)"\)$/\1|\3/' >"$T/phrases"
check "the table of the agent's phrases was read" test "$(wc -l <"$T/phrases")" -ge 30
missing=""
while IFS='|' read -r prefix also; do
	for s in "$prefix" "$also"; do
		[ -z "$s" ] && continue
		grep -qF -- "$s" agent/*.c lib/*.c || missing="$missing [$s]"
	done
done <"$T/phrases"
check "every phrase mnguardctl translates still occurs in the agent's source (agent/, lib/)" test -z "$missing"
[ -n "$missing" ] && echo "    not found:$missing"

# ---- without an agent ----
NONE="--socket $T/none.sock"
ja down.ja "$CTL" $NONE exemption redeem mngx1.a.b
en down.en "$CTL" $NONE exemption redeem mngx1.a.b
check "agent not running: exit 3 in Japanese" test "$(rc_of down.ja)" = 3
check "agent not running: exit 3 in English" test "$(rc_of down.en)" = 3
check "agent not running, in Japanese" has down.ja "エージェント (mnguardd) に接続できません"
check "agent not running, in English" has down.en "mnguardctl exemption redeem: agent at $T/none.sock not reachable"
check "the English message is all ASCII" ascii down.en
ja sdown.ja "$CTL" $NONE status
check "status, agent not running: exit 3 and Japanese" sh -c \
	"test \$(cat '$T/sdown.ja.rc') = 3 && grep -q 'mnguardctl status: エージェント (mnguardd) に接続できません' '$T/sdown.ja'"
ja usage.ja "$CTL" $NONE exemption enter 12345-12345-12345
en usage.en "$CTL" $NONE exemption enter 12345-12345-12345
check "usage error (enter without --ticket): exit 2 in both" sh -c \
	"test \$(cat '$T/usage.ja.rc') = 2 && test \$(cat '$T/usage.en.rc') = 2"
check "the usage error in Japanese" has usage.ja "使い方: mnguardctl exemption redeem"
check "the usage error in English" has usage.en "usage: mnguardctl exemption redeem"
ja opt.ja "$CTL" $NONE exemption request --minutes soon
check "a bad option: exit 2 and Japanese" sh -c \
	"test \$(cat '$T/opt.ja.rc') = 2 && grep -q 'オプション \"soon\" が正しくない' '$T/opt.ja'"
ja cmd.ja "$CTL" frobnicate
check "an unknown command: exit 2 and Japanese" sh -c \
	"test \$(cat '$T/cmd.ja.rc') = 2 && grep -q '\"frobnicate\" というコマンドはありません' '$T/cmd.ja'"
ja help.ja "$CTL" --help
en help.en "$CTL" --help
check "help in Japanese, exit 0" sh -c "test \$(cat '$T/help.ja.rc') = 0 && grep -q 'ヘルプデスクが発行する例外' '$T/help.ja'"
check "help in English is unchanged" has help.en "exemption redeem|request|enter|list|revoke ...  help desk exemptions (revoke: admin)"
: >"$T/empty.token"
ja empty.ja "$CTL" $NONE exemption redeem "$T/empty.token"
check "an empty token file: exit 1, in Japanese" sh -c \
	"test \$(cat '$T/empty.ja.rc') = 1 && grep -q '例外トークンではありません' '$T/empty.ja'"
head -c 20000 /dev/zero | tr '\0' 'A' >"$T/big.token"
ja big.ja "$CTL" $NONE exemption redeem "$T/big.token"
check "a 20 kB token file: exit 1, in Japanese" sh -c \
	"test \$(cat '$T/big.ja.rc') = 1 && grep -q '例外トークンとしては大きすぎます' '$T/big.ja'"

# ---- keys, a terminal and a real agent ----
export HOME="$T/home"
mkdir -p "$HOME"
"$HD" keygen --dir "$T/keys" >/dev/null 2>&1
check "help desk keys made" test -s "$T/keys/helpdesk.key" -a -s "$T/keys/phone-master.key"
MID=0123456789abcdef0123456789abcdef
ME=$(id -un)
A=$T/agent
mkdir -p "$A/rules.d" "$A/trust/helpdesk" "$A/log" "$A/state"
chmod 0755 "$A" "$A/rules.d" "$A/trust" "$A/trust/helpdesk"
cp rules/mynumber-terminal.rules "$A/rules.d/90-mynumber-terminal.rules"
cp "$T/keys/helpdesk.pub" "$A/trust/helpdesk/helpdesk.pub"
"$HD" phone terminal-key --terminal $MID --master "$T/keys/phone-master.key" >"$A/trust/terminal.key"
chmod 0600 "$A/trust/terminal.key"
chmod 0644 "$A/rules.d/"* "$A/trust/helpdesk/"*
echo $MID >"$A/machine-id"
SOCK=$A/mnguardd.sock
cat >"$A/mnguard.conf" <<CONF
rules_dir = $A/rules.d
audit_log = $A/log/audit.log
socket = $SOCK
state_dir = $A/state
trust_dir = $A/trust
machine_id_file = $A/machine-id
CONF
chmod 0644 "$A/mnguard.conf"

# An expired token: one the help desk issued, its window moved into the past
# and signed again with the help desk key (mnguard-helpdesk refuses to issue
# one that is already over).
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
b64url_dec() {
	s=$(tr -d '\n' | tr '_-' '/+')
	case $((${#s} % 4)) in
	2) s="$s==" ;;
	3) s="$s=" ;;
	esac
	printf '%s' "$s" | base64 -d
}
TOKEN=$("$HD" issue --key "$T/keys/helpdesk.key" --log "$T/issued.csv" --terminal $MID --user "$ME" \
	--scope clipboard --ticket INC-1 --reason test --out - 2>"$T/issue.err")
NOW=$(date +%s)
printf '%s' "$TOKEN" | cut -d. -f2 | b64url_dec |
	sed "s/\"iat\":[0-9]*,\"nbf\":[0-9]*,\"exp\":[0-9]*/\"iat\":$((NOW - 7200)),\"nbf\":$((NOW - 7200)),\"exp\":$((NOW - 3600))/" \
		>"$T/payload"
printf 'mngx1.%s' "$(b64url <"$T/payload")" >"$T/signed"
openssl pkeyutl -sign -inkey "$T/keys/helpdesk.key" -rawin -in "$T/signed" -out "$T/sig" 2>/dev/null
printf '%s.%s\n' "$(cat "$T/signed")" "$(b64url <"$T/sig")" >"$T/expired.token"
check "the expired token was made" sh -c "grep -q '\"exp\":$((NOW - 3600))' '$T/payload' && test -s '$T/sig'"

cat >"$T/run.sh" <<'RUN'
#!/bin/sh
# inside the testbed: start the agent, run the steps, stop it
. "$T/lang.sh"
"$AGENT" --foreground --config "$A/mnguard.conf" >"$A/mnguardd.out" 2>&1 &
pid=$!
i=0
until "$CTL" --socket "$SOCK" status >/dev/null 2>&1; do
	i=$((i + 1))
	if [ "$i" -gt 200 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo agent-down >"$T/agent-down"
		cat "$A/mnguardd.out"
		exit 1
	fi
	sleep 0.1
done
S="--socket $SOCK"
ja status.ja "$CTL" $S status
en status.en "$CTL" $S status
ja devs.ja "$CTL" $S list-devices
en devs.en "$CTL" $S list-devices
ja devsj.ja "$CTL" $S list-devices --json
en devsj.en "$CTL" $S list-devices --json
ja garbage.ja "$CTL" $S exemption redeem mngx1.garbage.token
en garbage.en "$CTL" $S exemption redeem mngx1.garbage.token
ja expired.ja "$CTL" $S exemption redeem "$T/expired.token"
en expired.en "$CTL" $S exemption redeem "$T/expired.token"
ja request.ja "$CTL" $S exemption request --clipboard --minutes 60
code=$(sed -n 's/^申請コード: \([0-9-]*\)$/\1/p' "$T/request.ja")
"$HD" phone respond "$code" --terminal "$MID" --user "$ME" --ticket INC-7 \
	--master "$T/keys/phone-master.key" --log "$T/issued.csv" --reason test >"$T/respond" 2>&1
resp=$(sed -n 's/^response: \([0-9-]*\)$/\1/p' "$T/respond")
# one digit misheard: the first digit, off by one
d=$(printf '%s' "$resp" | cut -c1)
bad="$(((d + 1) % 10))$(printf '%s' "$resp" | cut -c2-)"
echo "$code $resp $bad" >"$T/codes"
ja misheard.ja "$CTL" $S exemption enter "$bad" --ticket INC-7
en misheard.en "$CTL" $S exemption enter "$bad" --ticket INC-7
ja enter.ja "$CTL" $S exemption enter "$resp" --ticket INC-7
ja nowait.ja "$CTL" $S exemption enter "$resp" --ticket INC-7
ja list.ja "$CTL" $S exemption list
ja listj.ja "$CTL" $S exemption list --json
en listj.en "$CTL" $S exemption list --json
ja revoke.ja "$CTL" $S exemption revoke 0123456789abcdef0123456789abcdef
kill "$pid"
wait "$pid"
RUN
export T A CTL AGENT SOCK HD MID ME LOCPATH
umockdev-run -d "$D/usbguard-devices.umockdev" -d "$D/demo-devices.umockdev" -- sh "$T/run.sh" \
	>"$T/run.out" 2>&1
check "the agent came up in the testbed" sh -c "test ! -e '$T/agent-down' || { cat '$T/run.out'; false; }"

# status and list-devices
check "status: exit 0 in both languages" sh -c "test \$(cat '$T/status.ja.rc') = 0 && test \$(cat '$T/status.en.rc') = 0"
check "status in Japanese" sh -c "grep -q '^エージェント: mnguardd ' '$T/status.ja' && grep -q '^機器: .*接続 [0-9]* 台、許可 [0-9]* 台、ブロック [0-9]* 台' '$T/status.ja'"
check "status in English" sh -c "grep -q '^agent:   mnguardd ' '$T/status.en' && grep -q '^devices: [0-9]* present' '$T/status.en'"
check "status in English is all ASCII" ascii status.en
check "list-devices headings in Japanese" sh -c "head -1 '$T/devs.ja' | grep -q '^ID    ポート     VID:PID    名前 .* 判定      許可IF  チケット         規則\$'"
check "list-devices headings in English" sh -c "head -1 '$T/devs.en' | grep -q '^ID    PORT       VID:PID    NAME .* TARGET    IFACES  TICKET           RULE\$'"
tail -n +2 "$T/devs.en" >"$T/devs.en.rows"
check "list-devices rows are the same in both languages" sh -c "tail -n +2 '$T/devs.ja' | cmp -s - '$T/devs.en.rows'"
check "the table has rows" test -s "$T/devs.en.rows"
check "list-devices --json is the same in both languages" cmp -s "$T/devsj.ja" "$T/devsj.en"

# a garbage token
check "garbage token: exit 1 in both languages" sh -c "test \$(cat '$T/garbage.ja.rc') = 1 && test \$(cat '$T/garbage.en.rc') = 1"
check "garbage token, in Japanese" has garbage.ja "mnguardctl exemption redeem: 正しい例外トークンではありません"
check "... with the agent's own words after it" has garbage.ja "エージェントの応答（原文）: the token is damaged or incomplete"
check "garbage token, in English" has garbage.en "mnguardctl exemption redeem: refused: the token is damaged or incomplete"
check "the English refusal is all ASCII" ascii garbage.en

# an expired token
check "expired token: exit 1 in both languages" sh -c "test \$(cat '$T/expired.ja.rc') = 1 && test \$(cat '$T/expired.en.rc') = 1"
check "expired token, in Japanese" has expired.ja "例外トークンの有効期限が切れています。ヘルプデスクに連絡してください。"
check "expired token, in English" has expired.en "refused: the exemption has expired"

# phone codes: request, a misheard response, the right one
check "request: exit 0, the code in Japanese" sh -c "test \$(cat '$T/request.ja.rc') = 0 && grep -q '^申請コード: [0-9]' '$T/request.ja'"
check "request: what to do next, in Japanese" has request.ja "申請コードをヘルプデスクに読み上げ"
check "the help desk answered the request" grep -q '^response: [0-9]' "$T/respond"
check "misheard response: exit 1 in both languages" sh -c "test \$(cat '$T/misheard.ja.rc') = 1 && test \$(cat '$T/misheard.en.rc') = 1"
check "misheard response, in Japanese" has misheard.ja "応答コードの聞き間違いか入力間違いがあります。"
check "misheard response, in English" has misheard.en "refused: the response code was misheard or mistyped: check digit wrong"
check "the right response: exit 0, in Japanese" sh -c "test \$(cat '$T/enter.ja.rc') = 0 && grep -q '^例外 [0-9a-f]\{32\} が有効になりました。' '$T/enter.ja'"
check "no request waiting any more: exit 1, in Japanese" sh -c \
	"test \$(cat '$T/nowait.ja.rc') = 1 && grep -q '応答コードを待っている申請がありません' '$T/nowait.ja'"
check "exemption list headings in Japanese" sh -c "head -1 '$T/list.ja' | grep -q '^ID  *状態    範囲      種類    残り/回数 利用者       期限  *チケット  *対象\$'"
check "exemption list shows the phone exemption" grep -q 'INC-7' "$T/list.ja"
check "exemption list --json is the same in both languages" cmp -s "$T/listj.ja" "$T/listj.en"
check "exemption list --json is all ASCII" ascii listj.ja
if [ "$(id -u)" = 0 ]; then
	# an id revoked before it is redeemed is refused later: the agent records it
	check "revoke (root): exit 0, in Japanese" sh -c \
		"test \$(cat '$T/revoke.ja.rc') = 0 && grep -q '^例外 0123456789abcdef0123456789abcdef を取り消しました。' '$T/revoke.ja'"
else
	check "revoke (not an administrator): exit 1, permission denied in Japanese" sh -c \
		"test \$(cat '$T/revoke.ja.rc') = 1 && grep -q '権限がありません。' '$T/revoke.ja'"
fi
