# shellcheck shell=bash
# Helpers for dhcpd's netns tests, on top of tests/netns/lib.sh: real DHCP
# clients (ISC dhclient, busybox udhcpc, dhcpcd) in the LAN client
# namespaces, with every file they write kept inside $GK_TMP.

GK_DHCP_SCRIPT=$GK_SRC/tests/dhcpd/client-script.sh

gk_dhcp_require() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null ||
			gk_skip "$t is not installed (scripts/packages/dhcpd.txt)"
	done
}

# gk_dhcp_wrapper NAME: a script for the client that records into
# $GK_TMP/NAME.out (clients give their scripts a clean environment).
gk_dhcp_wrapper() {
	local w=$GK_TMP/$1.script
	printf '#!/bin/sh\nGK_DHCP_OUT=%q exec /bin/bash %q "$@"\n' \
	    "$GK_TMP/$1.out" "$GK_DHCP_SCRIPT" >"$w"
	chmod 0755 "$w"
	: >"$GK_TMP/$1.out"
	echo "$w"
}

# gk_dhcp_wait NAME PATTERN [SECONDS]: until NAME.out has a matching line.
gk_dhcp_wait() {
	local f=$GK_TMP/$1.out i n=$((${3:-15} * 10))
	for ((i = 0; i < n; i++)); do
		grep -qE -- "$2" "$f" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "---- $1.out ----"
	cat "$f" 2>/dev/null
	gk_fail "$1: no \"$2\" within ${3:-15} s"
}

# The last line of NAME.out matching PATTERN, field FIELD (e.g. ip).
gk_dhcp_field() {
	grep -E -- "$2" "$GK_TMP/$1.out" | tail -n 1 |
	    sed -nE "s/.*(^| )$3=([^ ]*).*/\\2/p"
}

# Checks a bound event's options: router, DNS server and domain.
gk_dhcp_check_options() {
	local name=$1 pat=$2 v
	v=$(gk_dhcp_field "$name" "$pat" router)
	[[ $v == 10.42.0.1 ]] || gk_fail "$name: router '$v', not 10.42.0.1"
	v=$(gk_dhcp_field "$name" "$pat" dns)
	[[ $v == 10.42.0.1 ]] || gk_fail "$name: DNS server '$v', not 10.42.0.1"
	v=$(gk_dhcp_field "$name" "$pat" domain)
	[[ $v == lan ]] || gk_fail "$name: domain '$v', not lan"
}

# Is dotted address $1 inside 10.42.0.100 - 10.42.0.250?
gk_dhcp_in_range() {
	[[ $1 =~ ^10\.42\.0\.([0-9]+)$ ]] || return 1
	((BASH_REMATCH[1] >= 100 && BASH_REMATCH[1] <= 250))
}

# gk_dhcpd_detail: dhcpd's status detail object.
gk_dhcpd_detail() {
	gk_status_json | jq -c '.daemons[] | select(.name == "dhcpd") | .detail'
}

GK_DHCP_JAIL=$GK_SRC/tests/dhcpd/jail.sh

# gk_dhclient NS NAME [ARGS...]: ISC dhclient in the foreground until it is
# bound (it then goes to the background and renews on its own).
gk_dhclient() {
	local ns=$1 name=$2 w
	shift 2
	w=$(gk_dhcp_wrapper "$name")
	ip netns exec "$ns" timeout 30 bash "$GK_DHCP_JAIL" \
	    "$GK_TMP/$name.jail" dhclient -1 -4 -v -sf "$w" -lf "$GK_TMP/$name.leases" \
	    -pf "$GK_TMP/$name.pid" "$@" eth0 >>"$GK_TMP/$name.log" 2>&1
}

# Releases: dhclient -r signals the running one (pid file) and sends a
# RELEASE.
gk_dhclient_release() {
	local ns=$1 name=$2
	ip netns exec "$ns" timeout 20 bash "$GK_DHCP_JAIL" \
	    "$GK_TMP/$name.jail" dhclient -r -4 -v -sf "$GK_TMP/$name.script" \
	    -lf "$GK_TMP/$name.leases" -pf "$GK_TMP/$name.pid" eth0 \
	    >>"$GK_TMP/$name.log" 2>&1
}

# gk_udhcpc NS NAME [ARGS...]: busybox udhcpc in the background; the pid
# is in $GK_BG_PID. SIGUSR1 renews, SIGUSR2 releases.
gk_udhcpc() {
	local ns=$1 name=$2 w
	shift 2
	w=$(gk_dhcp_wrapper "$name")
	gk_bg "$ns" bash "$GK_DHCP_JAIL" "$GK_TMP/$name.jail" \
	    udhcpc -f -i eth0 -s "$w" -t 10 -T 1 -A 1 "$@" \
	    >>"$GK_TMP/$name.log" 2>&1
}

# gk_dhcpcd NS NAME [ARGS...]: dhcpcd in the foreground of a background
# job, in the jail (dhcpcd has no option to move its lease, DUID and pid
# files). Never run a second dhcpcd to control it: one that finds no
# running daemon starts as a new one with the system's config and hooks.
# Signals instead: SIGUSR1 renews, SIGALRM releases and exits.
gk_dhcpcd() {
	local ns=$1 name=$2 w conf=$GK_TMP/$2.conf
	shift 2
	w=$(gk_dhcp_wrapper "$name")
	cat >"$conf" <<EOC
# dhcpd tests: IPv4 only, no hooks but our script, quick
ipv4only
noipv6rs
noipv4ll
noarp
nohook resolv.conf
option domain_name_servers, domain_name, domain_search, host_name
option classless_static_routes
EOC
	gk_bg "$ns" bash "$GK_DHCP_JAIL" "$GK_TMP/$name.jail" \
	    dhcpcd -B -4 -f "$conf" -c "$w" -t 20 "$@" eth0 \
	    >>"$GK_TMP/$name.log" 2>&1
}
