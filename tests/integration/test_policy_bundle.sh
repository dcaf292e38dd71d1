#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Signed policy bundles end to end with the real tools: mnguard-helpdesk
# keygen and policy sign (a broken rule makes no bundle, an existing file is
# never overwritten, names a bundle cannot carry are refused), the bundle's
# signature checked with openssl against the policy key, then mnguardctl
# policy install against a real mnguardd in a umockdev testbed: install,
# status, rollback refused, same version a no-op, tampered and help desk
# signed bundles refused, exit codes, the audit chain verified.
# Prints PASS:/FAIL: lines (counted by tests/run-unit.sh).
set -u
CTL=${MNG_CTL:-build/default/mnguardctl}
HD=${MNG_HELPDESK:-build/default/mnguard-helpdesk}
AGENT=${MNG_AGENT:-build/default/mnguardd}
D=tests/data/umockdev
T=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

check() { # name, command...: pass when the command succeeds
	n=$1
	shift
	if "$@" >"$T/out" 2>&1; then echo "PASS: $n"; else
		echo "FAIL: $n"
		sed 's/^/    /' "$T/out" | head -20
	fi
}

# ---- the help desk side ----
"$HD" keygen --dir "$T/keys" >/dev/null 2>&1
check "keygen makes the policy key" test -s "$T/keys/policy.key" -a -s "$T/keys/policy.pub"
P=$T/pol
mkdir -p "$P/rules.d" "$P/trust/helpdesk"
cp rules/mynumber-terminal.rules "$P/rules.d/90-mynumber-terminal.rules"
printf 'allow with-interface 08:06:50\n' >"$P/rules.d/10-sticks.rules"
printf 'not a rules file\n' >"$P/rules.d/README"
cp "$T/keys/helpdesk.pub" "$P/trust/helpdesk/desk1.pub"
printf 'helpdesk_contact = 0120-000-000\n' >"$P/mnguard.conf"
SIGN="$HD policy sign $P --key $T/keys/policy.key --log $T/policies.csv"

$SIGN --version 2 --out "$T/v2.bundle" >"$T/o" 2>&1
check "policy sign exits 0" test $? = 0
check "the bundle starts with its header" sh -c "head -1 '$T/v2.bundle' | grep -qx 'mnguard-policy-bundle 1'"
check "it names version 2 and every file, README left out" sh -c \
	"grep -qx 'version 2' '$T/v2.bundle' && grep -q '^file rules 0644 [0-9]* [0-9a-f]\{64\} rules.d/10-sticks.rules$' '$T/v2.bundle' &&
	 grep -q '^file conf 0644 .* mnguard.conf$' '$T/v2.bundle' && grep -q '^file helpdesk-key 0644 .* trust/helpdesk/desk1.pub$' '$T/v2.bundle' &&
	 ! grep -q README '$T/v2.bundle'"
check "the signing is logged" grep -q '"2",.*,"4",' "$T/policies.csv"
# the signature: Ed25519 over every byte before the signature line
head -c -97 "$T/v2.bundle" >"$T/signed"
tail -n 1 "$T/v2.bundle" | sed 's/^signature //' | tr '_-' '/+' | sed 's/$/==/' | base64 -d >"$T/sig" 2>/dev/null
check "openssl verifies the signature with policy.pub" \
	openssl pkeyutl -verify -pubin -inkey "$T/keys/policy.pub" -rawin -in "$T/signed" -sigfile "$T/sig"
check "and not with helpdesk.pub" sh -c \
	"! openssl pkeyutl -verify -pubin -inkey '$T/keys/helpdesk.pub' -rawin -in '$T/signed' -sigfile '$T/sig'"
check "the SHA-256 in the manifest is the file's" sh -c \
	"grep -q \"\$(sha256sum <'$P/rules.d/10-sticks.rules' | cut -c1-64) rules.d/10-sticks.rules\" '$T/v2.bundle'"

$SIGN --version 2 --out "$T/v2.bundle" >/dev/null 2>"$T/e"
check "an existing bundle file is never overwritten (exit 1)" test $? = 1
check "and the message says so" grep -q "never overwritten" "$T/e"
printf 'allow id 1234\nallow with-interface 08:*\n' >"$P/rules.d/50-broken.rules"
$SIGN --version 9 --out "$T/broken.bundle" >/dev/null 2>"$T/e"
check "a broken rule: exit 1" test $? = 1
check "no bundle is made" test ! -e "$T/broken.bundle"
check "every error is reported with file:line:col" sh -c \
	"grep -q '50-broken.rules:1:[0-9]*: ' '$T/e' && grep -q '50-broken.rules:2:[0-9]*: ' '$T/e'"
rm "$P/rules.d/50-broken.rules"
printf 'block\n' >"$P/rules.d/my rules.rules"
$SIGN --version 9 --out "$T/space.bundle" >/dev/null 2>"$T/e"
check "a name a bundle cannot carry is refused" sh -c "test ! -e '$T/space.bundle' && grep -q 'rules.d/NAME.rules' '$T/e'"
rm "$P/rules.d/my rules.rules"
cp "$T/keys/policy.pub" "$P/trust/helpdesk/policy.pub"
$SIGN --version 9 --out "$T/self.bundle" >/dev/null 2>"$T/e"
check "the policy key is refused as a help desk key" sh -c "test ! -e '$T/self.bundle' && grep -q 'policy.pub' '$T/e'"
rm "$P/trust/helpdesk/policy.pub"
$SIGN --version 0 --out "$T/zero.bundle" >/dev/null 2>&1
check "version 0 is a usage error (exit 2)" test $? = 2
$HD policy sign >/dev/null 2>&1
check "no DIR is a usage error (exit 2)" test $? = 2
$SIGN --version 1 --out "$T/v1.bundle" >/dev/null 2>&1
$SIGN --version 3 --out "$T/v3.bundle" >/dev/null 2>&1
mkdir -p "$T/pol-hd/rules.d"
cp "$P/rules.d/"*.rules "$T/pol-hd/rules.d/"
"$HD" policy sign "$T/pol-hd" --key "$T/keys/helpdesk.key" --version 5 --out "$T/hd.bundle" --log "$T/policies.csv" >/dev/null 2>&1
check "the help desk key signs a bundle (the tool cannot tell)" test -s "$T/hd.bundle"
sed 's/^allow with-interface 08:06:50$/allow with-interface 08:06:51/' "$T/v3.bundle" >"$T/tampered.bundle"
check "the tampered copy differs" sh -c "! cmp -s '$T/v3.bundle' '$T/tampered.bundle'"

# ---- the terminal side: a real mnguardd in a umockdev testbed ----
A=$T/agent
mkdir -p "$A/rules.d" "$A/trust/policy" "$A/trust/helpdesk" "$A/log" "$A/state"
chmod 0755 "$A" "$A/rules.d" "$A/trust" "$A/trust/policy" "$A/trust/helpdesk"
cp rules/mynumber-terminal.rules "$A/rules.d/90-mynumber-terminal.rules"
cp "$T/keys/policy.pub" "$A/trust/policy/policy.pub"
cp "$T/keys/helpdesk.pub" "$A/trust/helpdesk/helpdesk.pub"
chmod 0644 "$A/rules.d/"* "$A/trust/policy/"* "$A/trust/helpdesk/"*
SOCK=$A/mnguardd.sock
cat >"$A/mnguard.conf" <<CONF
rules_dir = $A/rules.d
audit_log = $A/log/audit.log
socket = $SOCK
state_dir = $A/state
trust_dir = $A/trust
CONF
chmod 0644 "$A/mnguard.conf"
cat >"$T/run.sh" <<'RUN'
#!/bin/sh
# inside the testbed: start the agent, run the steps, stop it
"$AGENT" --foreground --config "$A/mnguard.conf" >"$A/mnguardd.out" 2>&1 &
pid=$!
i=0
until "$CTL" --socket "$SOCK" status >/dev/null 2>&1; do
	i=$((i + 1))
	if [ "$i" -gt 200 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "agent-down" >"$T/steps"
		cat "$A/mnguardd.out"
		exit 1
	fi
	sleep 0.1
done
step() { # name, command...: record the exit status and output of each step
	n=$1
	shift
	"$@" >"$T/step.$n.out" 2>&1
	echo "$n $?" >>"$T/steps"
}
step status0 "$CTL" --socket "$SOCK" status
step install2 "$CTL" --socket "$SOCK" policy install "$T/v2.bundle"
step status2 "$CTL" --socket "$SOCK" status
step devices2 "$CTL" --socket "$SOCK" list-devices
step install1 "$CTL" --socket "$SOCK" policy install "$T/v1.bundle"
step again2 "$CTL" --socket "$SOCK" policy install "$T/v2.bundle"
step tampered "$CTL" --socket "$SOCK" policy install "$T/tampered.bundle"
step helpdesk "$CTL" --socket "$SOCK" policy install "$T/hd.bundle"
step missing "$CTL" --socket "$SOCK" policy install "$T/no-such.bundle"
step install3 "$CTL" --socket "$SOCK" policy install "$T/v3.bundle"
step status3 "$CTL" --socket "$SOCK" status
kill "$pid"
wait "$pid"
echo "stopped $?" >>"$T/steps"
RUN
: >"$T/steps"
AGENT=$AGENT CTL=$CTL A=$A T=$T SOCK=$SOCK \
	umockdev-run -d "$D/usbguard-devices.umockdev" -d "$D/demo-devices.umockdev" -- sh "$T/run.sh" >"$T/run.out" 2>&1
rc() { sed -n "s/^$1 //p" "$T/steps"; }
check "the agent came up in the testbed" sh -c "! grep -q agent-down '$T/steps' || { cat '$T/run.out'; false; }"
check "status before: no signed bundle" sh -c "test '$(rc status0)' = 0 && grep -q 'no signed bundle installed' '$T/step.status0.out'"
check "policy install v2 exits 0" test "$(rc install2)" = 0
check "and says version 2 installed" grep -q "version 2 installed (was 0)" "$T/step.install2.out"
check "status shows version 2 and the policy key" sh -c \
	"grep -q 'signed bundle version 2 (policy key [0-9a-f]\{16\})' '$T/step.status2.out'"
check "v1 after v2: exit 1 (no rollback)" test "$(rc install1)" = 1
check "with the reason" grep -q "older than the installed version 2" "$T/step.install1.out"
check "v2 again: exit 0, nothing changed" sh -c "test '$(rc again2)' = 0 && grep -q 'already installed' '$T/step.again2.out'"
check "tampered: exit 1, SHA-256 named" sh -c "test '$(rc tampered)' = 1 && grep -q 'SHA-256' '$T/step.tampered.out'"
check "signed by the help desk key: exit 1" sh -c "test '$(rc helpdesk)' = 1 && grep -q 'no trusted key' '$T/step.helpdesk.out'"
check "a missing file: exit 1" test "$(rc missing)" = 1
check "v3 installs over v2" sh -c "test '$(rc install3)' = 0 && grep -q 'signed bundle version 3' '$T/step.status3.out'"
check "the agent stopped cleanly" test "$(rc stopped)" = 0
check "the files of v3 are in the state directory, v2's are gone" sh -c \
	"test -f '$A/state/policy/3/rules.d/10-sticks.rules' && test -f '$A/state/policy/3/trust/helpdesk/desk1.pub' &&
	 test -f '$A/state/policy/3/mnguard.conf' && test ! -e '$A/state/policy/2' && cmp -s '$A/state/policy/bundle' '$T/v3.bundle'"
for ev in policy.bundle.verify policy.bundle.install policy.bundle.reject; do
	check "audit has $ev" grep -q "\"$ev\"" "$A/log/audit.log"
done
check "the rejects name their reasons" sh -c \
	"grep '\"policy.bundle.reject\"' '$A/log/audit.log' | grep -q 'no rollback' &&
	 grep '\"policy.bundle.reject\"' '$A/log/audit.log' | grep -q 'SHA-256'"
check "the audit chain verifies" "$CTL" audit verify "$A/log/audit.log" --anchor "$A/state/audit.anchor"
$CTL policy install >/dev/null 2>&1
check "policy install without BUNDLE: usage (exit 2)" test $? = 2
$CTL --socket "$T/none.sock" policy install "$T/v3.bundle" >/dev/null 2>&1
check "no agent: exit 3" test $? = 3
