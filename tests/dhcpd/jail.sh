#!/bin/bash
# jail.sh DIR CMD...: runs CMD (a DHCP client) in a private mount namespace
# where /etc/resolv.conf, /var/lib/dhcp, /var/lib/dhcpcd and /run are
# scratch copies under DIR, so whatever the client or a hook script writes
# there stays in the test and never reaches the host (a network namespace
# does not isolate the filesystem). Everything is exec'd: CMD keeps this
# process's pid.
set -eu
j=$1
shift
mkdir -p "$j/dhcp" "$j/dhcpcd" "$j/run"
[[ -e $j/resolv.conf ]] || cp /etc/resolv.conf "$j/resolv.conf"
exec unshare -m --propagation private /bin/sh -c '
	set -e
	j=$1
	shift
	mount --bind "$j/resolv.conf" /etc/resolv.conf
	[ ! -d /var/lib/dhcp ] || mount --bind "$j/dhcp" /var/lib/dhcp
	[ ! -d /var/lib/dhcpcd ] || mount --bind "$j/dhcpcd" /var/lib/dhcpcd
	mount --bind "$j/run" /run
	exec "$@"' sh "$j" "$@"
