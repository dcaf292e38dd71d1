# SPDX-License-Identifier: GPL-2.0-or-later
# Guest side of the VM suite (busybox sh): the command server on ttyS1 and
# the helpers the host's commands use. Every wait polls a condition until a
# deadline; nothing waits for a fixed time.

CHAN=/dev/ttyS1

# serve: read "ID BASE64-SCRIPT" lines from the host, run each script (with
# this file sourced) and answer "@@R ID STATUS BASE64-OUTPUT".
serve() {
	stty -F "$CHAN" raw -echo -ixon -ixoff 2>/dev/null
	exec 3<>"$CHAN"
	echo "@@READY" >&3
	while IFS=' ' read -r id b64 <&3; do
		[ -n "$id" ] || continue
		printf '%s' "$b64" | base64 -d >/tmp/.cmd 2>/dev/null
		(
			exec 3>&-
			. /vm/lib.sh
			. /tmp/.cmd
		) >/tmp/.out 2>&1 </dev/null
		rc=$?
		printf '@@R %s %s %s\n' "$id" "$rc" "$(base64 -w 0 </tmp/.out)" >&3
	done
}

# uptime_s: seconds since boot (no fork).
uptime_s() {
	read -r _up _rest </proc/uptime
	echo "${_up%.*}"
}

# wait_until SECONDS COMMAND...: run COMMAND every 50 ms until it succeeds;
# status 1 once SECONDS have passed on the guest's clock.
wait_until() {
	_end=$(($(uptime_s) + $1))
	shift
	while ! "$@"; do
		[ "$(uptime_s)" -lt "$_end" ] || return 1
		usleep 50000
	done
	return 0
}

# usbdev SERIAL: the /sys/bus/usb/devices path of the device with SERIAL.
usbdev() {
	for _d in /sys/bus/usb/devices/*; do
		[ -f "$_d/serial" ] || continue
		read -r _s <"$_d/serial" 2>/dev/null || continue
		if [ "$_s" = "$1" ]; then
			echo "$_d"
			return 0
		fi
	done
	return 1
}

present() { usbdev "$1" >/dev/null; }
absent() { ! usbdev "$1" >/dev/null; }

# authorized SERIAL: the device's authorized attribute (empty when absent).
authorized() {
	_d=$(usbdev "$1") || return 1
	cat "$_d/authorized"
}

is_authorized() { [ "$(authorized "$1")" = 1 ]; }
is_unauthorized() { [ "$(authorized "$1")" = 0 ]; }

# disk_of SERIAL: the name of the SCSI disk below the device (sda, ...).
disk_of() {
	_d=$(usbdev "$1") || return 1
	for _b in "$_d"/*/host*/target*/*/block/*; do
		[ -e "$_b" ] || continue
		basename "$_b"
		return 0
	done
	return 1
}

has_disk() { disk_of "$1" >/dev/null; }
no_disk() { ! disk_of "$1" >/dev/null; }

# ifaces SERIAL: "name driver" for each interface (driver "-" when none).
ifaces() {
	_d=$(usbdev "$1") || return 1
	_p=$(basename "$_d")
	for _i in "$_d/$_p":*; do
		[ -d "$_i" ] || continue
		if [ -e "$_i/driver" ]; then
			echo "$(basename "$_i") $(basename "$(readlink "$_i/driver")")"
		else
			echo "$(basename "$_i") -"
		fi
	done
}

# sd_seen: status 0 when the kernel shows any SCSI disk anywhere.
sd_seen() {
	for _x in /dev/sd*; do
		[ -e "$_x" ] && return 0
	done
	for _x in /sys/block/sd*; do
		[ -e "$_x" ] && return 0
	done
	while read -r _a _b _c _n; do
		case "$_n" in sd*) return 0 ;; esac
	done </proc/partitions
	return 1
}

# watch_start NAME NOSD SERIAL...: sample, until watch_stop NAME, whether a
# device with one of the SERIALs is authorized or has an interface with a
# driver or a disk below it, and (NOSD=1) whether any SCSI disk exists at
# all. Each sighting is a line in /tmp/watch.NAME.bad; the number of
# samples is written to /tmp/watch.NAME.count at the end.
watch_start() {
	_name=$1
	rm -f "/tmp/watch.$_name".*
	(
		exec >/dev/null 2>&1 </dev/null
		_nosd=$2
		shift 2
		_count=0
		while [ ! -e "/tmp/watch.$_name.stop" ]; do
			_count=$((_count + 1))
			for _d in /sys/bus/usb/devices/*; do
				[ -f "$_d/serial" ] || continue
				read -r _s <"$_d/serial" 2>/dev/null || continue
				for _w in "$@"; do
					[ "$_s" = "$_w" ] || continue
					read -r _a <"$_d/authorized" 2>/dev/null
					[ "$_a" = 0 ] || [ -z "$_a" ] ||
						echo "sample $_count: $_s authorized=$_a" >>"/tmp/watch.$_name.bad"
					for _i in "$_d"/*:*; do
						[ -e "$_i/driver" ] &&
							echo "sample $_count: $_s interface $_i has a driver" \
								>>"/tmp/watch.$_name.bad"
					done
					for _b in "$_d"/*/host*/target*/*/block/*; do
						[ -e "$_b" ] &&
							echo "sample $_count: $_s has disk $_b" >>"/tmp/watch.$_name.bad"
					done
				done
			done
			if [ "$_nosd" = 1 ] && sd_seen; then
				echo "sample $_count: a SCSI disk exists: $(ls /sys/block)" >>"/tmp/watch.$_name.bad"
			fi
			echo "$_count" >"/tmp/watch.$_name.count"
			usleep 10000
		done
		touch "/tmp/watch.$_name.done"
	) &
	wait_until 10 test -e "/tmp/watch.$_name.count"
}

# watch_samples NAME: samples taken so far.
watch_samples() { cat "/tmp/watch.$1.count" 2>/dev/null || echo 0; }
watch_more() { [ "$(watch_samples "$1")" -ge "$2" ]; }

# watch_stop NAME: stop the watcher; prints its sightings; status 1 if any.
watch_stop() {
	touch "/tmp/watch.$1.stop"
	wait_until 20 test -e "/tmp/watch.$1.done" || echo "watcher $1 did not stop"
	echo "watcher $1: $(watch_samples "$1") samples"
	if [ -s "/tmp/watch.$1.bad" ]; then
		head -n 20 "/tmp/watch.$1.bad"
		return 1
	fi
	return 0
}

# agent_config DIR: a private configuration for mnguardd in DIR (rules in DIR/rules.d).
agent_config() {
	mkdir -p "$1/rules.d" "$1/log"
	cat >"$1/mnguard.conf" <<CONF
rules_dir = $1/rules.d
audit_log = $1/log/audit.log
socket = $1/mnguardd.sock
state_dir = $1/state
CONF
	chmod 0644 "$1/mnguard.conf"
	chmod 0755 "$1" "$1/rules.d"
}

# The package mode (suite.py --from-deb): the package's files are installed
# in the guest, /vm/unit.env says how its systemd unit starts the agent
# (UNIT_EXEC, UNIT_UMASK, UNIT_DIRS "path:mode ..."), and the agent runs with
# the shipped /etc/mnguard/mnguard.conf.
pkg_mode() { [ -e /vm/unit.env ]; }

# pkg_view DIR: DIR for the scenario's bookkeeping (pid, output), with links
# to where the package's configuration puts the rules, the audit log, the
# state and the socket, so a scenario names them the same in both modes.
pkg_view() {
	mkdir -p "$1"
	ln -sfn /etc/mnguard/rules.d "$1/rules.d"
	ln -sfn /var/log/mnguard "$1/log"
	ln -sfn /var/lib/mnguard "$1/state"
	ln -sfn /run/mnguard/mnguardd.sock "$1/mnguardd.sock"
}

agent_answers() {
	if pkg_mode; then
		mnguardctl status >/dev/null 2>&1 # its default socket
	else
		mnguardctl --socket "$1/mnguardd.sock" status >/dev/null 2>&1
	fi
}

# agent_start DIR: start mnguardd with DIR's configuration (in the package
# mode: as its unit does, with the directories systemd would create for it);
# returns when it answers on its socket (it answers once every present
# device is judged).
agent_start() {
	if pkg_mode; then
		. /vm/unit.env
		for _d in $UNIT_DIRS; do
			mkdir -p "${_d%:*}" && chmod "${_d##*:}" "${_d%:*}" || return 1
		done
		_umask=$(umask)
		umask "$UNIT_UMASK"
		$UNIT_EXEC >>"$1/mnguardd.out" 2>&1 </dev/null &
		umask "$_umask"
	else
		mnguardd --foreground --config "$1/mnguard.conf" >>"$1/mnguardd.out" 2>&1 </dev/null &
	fi
	echo $! >"$1/pid"
	if ! wait_until 60 agent_answers "$1"; then
		echo "mnguardd did not come up:"
		cat "$1/mnguardd.out"
		return 1
	fi
}

# pid_alive PID: the process exists and is not a zombie (orphans are
# reaped late by the shell that is pid 1).
pid_alive() {
	[ -r "/proc/$1/stat" ] || return 1
	read -r _p _c _state _rest <"/proc/$1/stat" 2>/dev/null || return 1
	[ "$_state" != Z ]
}

agent_alive() { pid_alive "$(cat "$1/pid" 2>/dev/null)"; }

agent_stop() {
	_p=$(cat "$1/pid" 2>/dev/null) || return 0
	kill "$_p" 2>/dev/null
	wait_until 30 eval "! pid_alive $_p"
	rm -f "$1/pid"
}

# audit_has DIR EVENT TEXT: some record of EVENT in DIR's audit log holds TEXT.
audit_has() {
	grep "\"event\":\"$2\"" "$1/log/audit.log" 2>/dev/null | grep -q -F "$3"
}

# audit_decided DIR TEXT: some device decision (allow, block, ...) in DIR's
# audit log holds TEXT.
audit_decided() {
	grep '"event":"device\.' "$1/log/audit.log" 2>/dev/null | grep -q -F "$2"
}
