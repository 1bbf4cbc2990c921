# shellcheck shell=bash
#
# Network-namespace test harness, sourced by every tests/netns/*.sh and by
# scripts/demo.
#
# It builds, per test and per process id, this topology (names stay short:
# gk<3 letters><pid><role>):
#
#   internet ns ($GK_NS_INET)           router ns ($GK_NS_ROUTER)
#   eth0 203.0.113.1/24  <--veth-->     wan0 203.0.113.2/24, default via .1
#   lo   198.51.100.1/32                lan1 lan2 lan3 ... (no address: the
#                                        suite bridges them as gkbr0)
#   client ns $GK_NS_LAN<i> (i = 1..N)
#   eth0 (no address, MAC 02:6b:00:00:00:<i>)  <--veth-->  router lan<i>
#
# Only addresses inside these namespaces are ever used. Nothing is done to
# the host's own interfaces, routes, firewall or DNS. Teardown (a trap on
# EXIT) stops only the processes this file started, by pid, plus whatever
# is left running inside the namespaces it created, deletes those
# namespaces and removes $GK_TMP.
#
# Tests exit 0 (pass), 1 (fail) or 77 (skipped, with the reason printed).

GK_SRC=${GK_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
GK_BUILD=${GK_BUILD:-$GK_SRC/build}
GK_GATEKEEPERD=$GK_BUILD/gatekeeperd/gatekeeperd
GK_GKCTL=$GK_BUILD/gkctl/gkctl
GK_DAEMONS=(natd dhcpd dnsd webd)
GK_TEST=${GK_TEST:-$(basename "$0" .sh)}

GK_PID=""		# gatekeeperd started by gk_start
GK_EXIT=""		# its exit status, set by gk_stop
GK_BG_PIDS=()		# other processes started in the background (gk_bg)
GK_CREATED_NS=()	# namespaces gk_topology_up created
GK_TMP=""
GK_LOG_SHOWN=0
GK_MAIN_PID=$BASHPID

# ---------------------------------------------------------------- output

gk_log() { printf '[%s] %s\n' "$GK_TEST" "$*"; }

gk_skip() {
	echo "SKIP: $GK_TEST: $*"
	exit 77
}

gk_log_tail() {
	local log=${GK_TMP:+$GK_TMP/gatekeeperd.log}
	[[ -n $log && -s $log ]] || return 0
	echo "---- gatekeeperd log, last 60 lines ($log) ----"
	tail -n 60 "$log"
	echo "---- end of gatekeeperd log ----"
}

gk_fail() {
	echo "FAIL: $GK_TEST: $*"
	if ((!GK_LOG_SHOWN)); then
		GK_LOG_SHOWN=1
		gk_log_tail
	fi
	exit 1
}

# ---------------------------------------------------------------- time

# Milliseconds since the epoch, into the variable named $1 (no subshell).
gk_now_ms() {
	local t=${EPOCHREALTIME//[.,]/}
	printf -v "$1" '%d' $((10#$t / 1000))
}

# Is pid alive (and not a zombie waiting to be reaped)?
gk_alive() {
	local pid=$1 stat
	[[ -n $pid && -r /proc/$pid/stat ]] || return 1
	read -r stat 2>/dev/null <"/proc/$pid/stat" || return 1
	stat=${stat##*) }
	[[ ${stat:0:1} != Z ]]
}

# ---------------------------------------------------------------- checks

gk_require_build() {
	local f
	for f in "$GK_GATEKEEPERD" "$GK_GKCTL"; do
		[[ -x $f ]] || gk_skip "$f is not built (GK_BUILD=$GK_BUILD)"
	done
	for f in "${GK_DAEMONS[@]}"; do
		[[ -x $GK_BUILD/$f/$f ]] ||
			gk_skip "$GK_BUILD/$f/$f is not built (GK_BUILD=$GK_BUILD)"
	done
}

gk_require_root() {
	[[ $EUID -eq 0 ]] ||
		gk_skip "needs root (network namespaces, queue rules): run sudo ./scripts/test"
	local t
	for t in ip sysctl jq; do
		command -v "$t" >/dev/null ||
			gk_skip "$t is not installed (scripts/test installs it)"
	done
	command -v nft >/dev/null ||
		gk_skip "nft is not installed (apt-get install nftables)"
	command -v iptables-nft >/dev/null ||
		gk_skip "iptables-nft is not installed (apt-get install iptables)"

	local p=gkprobe$$ err
	if ! err=$(ip netns add "$p" 2>&1); then
		gk_skip "'ip netns add' does not work here: $err"
	fi
	if ! err=$(ip -n "$p" link add gkv0 type veth peer name gkv1 2>&1); then
		ip netns del "$p" 2>/dev/null
		gk_skip "the kernel cannot create veth pairs: $err"
	fi
	if ! err=$(ip -n "$p" link add gkb0 type bridge 2>&1); then
		ip netns del "$p" 2>/dev/null
		gk_skip "the kernel cannot create bridges: $err"
	fi
	ip netns del "$p" 2>/dev/null
}

# ---------------------------------------------------------------- topology

# Runs a command; on failure fails the test, naming the command.
gk_must() {
	local err
	if ! err=$("$@" 2>&1); then
		gk_fail "topology: '$*' failed: $err"
	fi
}

gk_ns_add() {
	gk_must ip netns add "$1"
	GK_CREATED_NS+=("$1")
	gk_must ip -n "$1" link set lo up
	# No duplicate address detection: addresses are usable at once and
	# snapshots do not catch an address in its "tentative" phase.
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
	    net.ipv6.conf.default.accept_dad=0 >/dev/null 2>&1 || true
}

# gk_topology_up NAME [NCLIENTS]   (NCLIENTS defaults to $GK_CLIENTS or 3)
gk_topology_up() {
	local name=${1:-$GK_TEST} n=${2:-${GK_CLIENTS:-3}} short i lans=""
	if ! [[ $n =~ ^[0-9]+$ ]] || ((n < 1 || n > 8)); then
		gk_fail "gk_topology_up: clients must be 1..8, not '$n'"
	fi
	GK_TEST=$name
	GK_CLIENTS=$n

	short=${name//[^a-zA-Z0-9]/}
	short=${short:0:3}
	GK_NS_PREFIX=gk$short$$
	GK_NS_ROUTER=${GK_NS_PREFIX}r
	GK_NS_INET=${GK_NS_PREFIX}i
	GK_NS_LANS=()

	GK_MAIN_PID=$BASHPID
	trap gk_topology_down EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP

	GK_TMP=$(mktemp -d "/tmp/gk-$short.XXXXXX") || gk_fail "mktemp failed"
	# The daemons run under their own uids: let them traverse to state/.
	chmod 0755 "$GK_TMP"
	mkdir -p "$GK_TMP"/{state,run,libexec}
	chmod 0755 "$GK_TMP"/{state,run,libexec}
	for i in "${GK_DAEMONS[@]}"; do
		ln -s "$GK_BUILD/$i/$i" "$GK_TMP/libexec/$i"
	done
	GK_SOCK=$GK_TMP/run/control.sock
	GK_LOG=$GK_TMP/gatekeeperd.log
	: >"$GK_LOG"

	# Router and internet.
	gk_ns_add "$GK_NS_ROUTER"
	gk_ns_add "$GK_NS_INET"
	# Start from a known forwarding state, whatever the host has.
	gk_must ip netns exec "$GK_NS_ROUTER" sysctl -qw net.ipv4.ip_forward=0
	gk_must ip -n "$GK_NS_ROUTER" link add wan0 type veth peer name eth0 \
	    netns "$GK_NS_INET"
	gk_must ip -n "$GK_NS_INET" addr add 203.0.113.1/24 dev eth0
	gk_must ip -n "$GK_NS_INET" addr add 198.51.100.1/32 dev lo
	gk_must ip -n "$GK_NS_INET" link set eth0 up
	gk_must ip -n "$GK_NS_ROUTER" addr add 203.0.113.2/24 dev wan0
	gk_must ip -n "$GK_NS_ROUTER" link set wan0 up
	gk_must ip -n "$GK_NS_ROUTER" route add default via 203.0.113.1 dev wan0

	# LAN clients: router side lan<i> left without address and down.
	for ((i = 1; i <= n; i++)); do
		local ns=${GK_NS_PREFIX}c$i mac
		printf -v mac '02:6b:00:00:00:%02x' "$i"
		gk_ns_add "$ns"
		gk_must ip -n "$GK_NS_ROUTER" link add "lan$i" type veth \
		    peer name eth0 netns "$ns"
		gk_must ip -n "$ns" link set eth0 address "$mac"
		gk_must ip -n "$ns" link set eth0 up
		GK_NS_LANS+=("$ns")
		declare -gx "GK_NS_LAN$i=$ns" "GK_MAC_LAN$i=$mac"
		lans+=" lan$i"
	done

	GK_CONF=$GK_TMP/gatekeeper.conf
	cat >"$GK_CONF" <<EOF
# written by tests/netns/lib.sh for $name
wan wan0
lan$lans
lan-address 10.42.0.1/24
dhcp-range 10.42.0.100 10.42.0.250
state-dir $GK_TMP/state
run-dir $GK_TMP/run
EOF
	export GK_SRC GK_BUILD GK_TMP GK_CONF GK_SOCK GK_LOG GK_CLIENTS \
	    GK_NS_PREFIX GK_NS_ROUTER GK_NS_INET
}

gk_topology_down() {
	local rc=$? ns pid i
	# Only the shell that built the topology tears it down.
	[[ $BASHPID == "$GK_MAIN_PID" ]] || return 0
	trap - EXIT INT TERM HUP
	set +e
	if ((rc != 0 && rc != 77 && !GK_LOG_SHOWN)); then
		GK_LOG_SHOWN=1
		gk_log_tail
	fi

	# gatekeeperd first, the polite way, so it undoes its own changes.
	if gk_alive "$GK_PID"; then
		kill -TERM "$GK_PID" 2>/dev/null
		for ((i = 0; i < 100; i++)); do
			gk_alive "$GK_PID" || break
			sleep 0.1
		done
		gk_alive "$GK_PID" && kill -KILL "$GK_PID" 2>/dev/null
	fi
	for pid in "${GK_BG_PIDS[@]}"; do
		gk_alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	# Whatever still runs inside our namespaces was started by us or by
	# the suite we started (e.g. children of a gatekeeperd killed -9).
	for ns in "${GK_CREATED_NS[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
	done
	for pid in "$GK_PID" "${GK_BG_PIDS[@]}"; do
		[[ -n $pid ]] && wait "$pid" 2>/dev/null
	done
	for ((i = ${#GK_CREATED_NS[@]} - 1; i >= 0; i--)); do
		ip netns del "${GK_CREATED_NS[i]}" 2>/dev/null ||
			echo "warning: could not delete namespace ${GK_CREATED_NS[i]}"
	done
	GK_CREATED_NS=()
	[[ -n $GK_TMP && -d $GK_TMP ]] && rm -rf "$GK_TMP"
	# A caller (scripts/demo) may say its last word here.
	if declare -F gk_on_exit >/dev/null; then
		gk_on_exit "$rc"
	fi
	exit "$rc"
}

# gk_bg NS CMD...: runs CMD in namespace NS in the background; the pid is
# remembered for teardown and left in $GK_BG_PID.
gk_bg() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@" &
	GK_BG_PID=$!
	GK_BG_PIDS+=("$GK_BG_PID")
}

# ---------------------------------------------------------------- the suite

# gk_ctl ARGS...: gkctl in the router namespace, on this test's socket.
gk_ctl() {
	ip netns exec "$GK_NS_ROUTER" "$GK_GKCTL" -s "$GK_SOCK" "$@"
}

gk_status_json() {
	gk_ctl -j status
}

# gk_daemon_field JSON NAME FIELD: one field of one daemon ("" if absent).
gk_daemon_field() {
	jq -r --arg n "$2" --arg f "$3" \
	    '.daemons[]? | select(.name == $n) | .[$f] // empty' <<<"$1"
}

# Are all four daemons running according to JSON $1?
gk_all_running() {
	jq -e '[.daemons[]? | select(.state == "running") | .name] | sort
	    == ["dhcpd", "dnsd", "natd", "webd"]' <<<"$1" >/dev/null 2>&1
}

# gk_wait_running [SECONDS]: until gkctl shows all four daemons running.
gk_wait_running() {
	local secs=${1:-10} now deadline json
	gk_now_ms now
	deadline=$((now + secs * 1000))
	while :; do
		if [[ -n $GK_PID ]] && ! gk_alive "$GK_PID"; then
			local st=0
			wait "$GK_PID" || st=$?
			GK_PID=""
			gk_fail "gatekeeperd exited (status $st) before all daemons ran"
		fi
		if json=$(gk_status_json 2>/dev/null) && gk_all_running "$json"; then
			return 0
		fi
		gk_now_ms now
		((now < deadline)) || break
		sleep 0.1
	done
	echo "last status: ${json:-<none>}"
	return 1
}

# gk_start [EXTRA ARGS...]: gatekeeperd in the router namespace, in the
# background, logging to $GK_LOG; waits (10 s) for four running daemons.
gk_start() {
	[[ -z $GK_PID ]] || gk_fail "gk_start: gatekeeperd already started"
	gk_require_build
	ip netns exec "$GK_NS_ROUTER" "$GK_GATEKEEPERD" -d -f "$GK_CONF" \
	    -L "$GK_TMP/libexec" -v "$@" >>"$GK_LOG" 2>&1 </dev/null &
	GK_PID=$!
	gk_wait_running 10 ||
		gk_fail "gatekeeperd did not get all four daemons running within 10 s"
	gk_log "gatekeeperd running, pid $GK_PID"
}

# gk_stop: SIGTERM, wait for exit (10 s); the status is left in $GK_EXIT.
gk_stop() {
	local i
	GK_EXIT=""
	[[ -n $GK_PID ]] || return 0
	kill -TERM "$GK_PID" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		gk_alive "$GK_PID" || break
		sleep 0.1
	done
	if gk_alive "$GK_PID"; then
		kill -KILL "$GK_PID" 2>/dev/null
		wait "$GK_PID" 2>/dev/null
		GK_PID=""
		gk_fail "gatekeeperd did not exit within 10 s of SIGTERM"
	fi
	GK_EXIT=0
	wait "$GK_PID" || GK_EXIT=$?
	GK_PID=""
	gk_log "gatekeeperd exited with status $GK_EXIT"
}

# gk_wait_for SECONDS CMD...: until CMD succeeds (polled every 50 ms);
# returns 1 when it did not within SECONDS.
gk_wait_for() {
	local ms=$(($1 * 1000)) now deadline
	shift
	gk_now_ms now
	deadline=$((now + ms))
	while ! "$@"; do
		gk_now_ms now
		((now < deadline)) || return 1
		sleep 0.05
	done
}

# gk_children_exit SECONDS PID...: fails unless every PID (the children
# of a gatekeeperd killed with SIGKILL, which hold privileged sockets
# nobody supervises) exits within SECONDS.
gk_children_exit() {
	local secs=$1 p i alive=1
	shift
	for ((i = 0; i < secs * 10; i++)); do
		alive=0
		for p in "$@"; do gk_alive "$p" && alive=1; done
		((alive)) || return 0
		sleep 0.1
	done
	gk_fail "children still running $secs s after gatekeeperd died"
}

# gk_crash: gatekeeperd (GK_PID) killed with SIGKILL; its children must
# exit within 3 s.
gk_crash() {
	local pids
	pids=$(gk_status_json | jq -r '.daemons[].pid // empty')
	kill -KILL "$GK_PID"
	wait "$GK_PID" 2>/dev/null
	GK_PID=""
	# shellcheck disable=SC2086
	gk_children_exit 3 $pids
}

# gk_kill_wait_back NAME PID RESTARTS: kill -9 PID, then fail unless
# NAME runs again under another pid within 1 s: timed by gatekeeperd's
# log line for the new child's hello (polled every 10 ms: a gkctl status
# round costs 100-300 ms on a loaded machine and would be timed too),
# then checked in gkctl status (that pid, running, one more restart).
# Sets newpid and back_ms (kill to hello).
gk_kill_wait_back() {
	local d=$1 pid=$2 restarts=$3 json="" now t0 seen
	seen=$(grep -c "^gatekeeperd: $d running, pid " "$GK_LOG")
	newpid=""
	kill -KILL "$pid"
	gk_now_ms t0
	while :; do
		newpid=$(grep "^gatekeeperd: $d running, pid " "$GK_LOG" |
		    tail -n +$((seen + 1)) | sed -nE 's/.*, pid ([0-9]+),.*/\1/p' |
		    tail -n 1)
		[[ -n $newpid && $newpid != "$pid" ]] && break
		gk_now_ms now
		((now - t0 < 1000)) ||
			gk_fail "$d: not back within 1 s of its kill (was pid $pid)"
		sleep 0.01
	done
	gk_now_ms now
	back_ms=$((now - t0))
	json=$(gk_status_json) || gk_fail "gkctl -j status failed"
	jq -e --arg n "$d" --argjson p "$newpid" --argjson r "$((restarts + 1))" \
	    '.daemons[] | select(.name == $n and .pid == $p and .state ==
	    "running" and .restarts == $r)' <<<"$json" >/dev/null ||
		gk_fail "$d: back as pid $newpid per the log, but gkctl status says $(jq -c --arg n "$d" '.daemons[]? | select(.name == $n)' <<<"$json")"
}

# gk_snapshot NS FILE: the network state of NS that gatekeeperd may change.
gk_snapshot() {
	local ns=$1 file=$2
	{
		echo "## nft list ruleset"
		ip netns exec "$ns" nft list ruleset
		echo "## ip -o link"
		# The qdisc goes from noop to noqueue on a veth's first up:
		# kernel bookkeeping, not something left behind.
		ip -n "$ns" -o link | sed -E 's/ qdisc [^ ]+//'
		echo "## ip -o addr"
		ip -n "$ns" -o addr | sed -E 's/ tentative//'
		echo "## ip route"
		ip -n "$ns" route
		echo "## ip -o -4 rule"
		ip -n "$ns" -o -4 rule
		echo "## sysctl"
		ip netns exec "$ns" sysctl net.ipv4.ip_forward \
		    net.ipv4.conf.all.forwarding
	} >"$file" 2>&1
}

# The descriptors the parent hands each child end at these (proto/layout.h);
# above them are the child's own sockets (dnsd's upstream questions, made
# when webd asks for a PTR name), which a restart makes anew.
declare -gA GK_LAYOUT_LAST=([natd]=9 [dhcpd]=6 [dnsd]=7 [webd]=12)

# The socket inodes held by pid's fds from 4 to LAST (default: all),
# sorted, one per line.
gk_socket_inodes() {
	local pid=$1 last=${2:-1048576} fd n target
	for fd in /proc/"$pid"/fd/*; do
		n=${fd##*/}
		if ! [[ $n =~ ^[0-9]+$ ]] || ((n < 4 || n > last)); then
			continue
		fi
		target=$(readlink "$fd" 2>/dev/null) || continue
		if [[ $target == socket:* ]]; then
			echo "$target"
		fi
	done | sort
	return 0
}
