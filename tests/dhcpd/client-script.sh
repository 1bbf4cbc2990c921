#!/bin/bash
# Stands in for dhclient-script, udhcpc's default.script and
# dhcpcd-run-hooks in the dhcpd tests: it only applies the address to the
# client namespace's interface and appends what the client received to
# $GK_DHCP_OUT, one line per event. It never touches /etc/resolv.conf or
# anything else outside the namespace (the real scripts would rewrite the
# host's files: a network namespace does not isolate the filesystem).
#
# dhclient and dhcpcd set $reason and new_*; udhcpc passes the event as $1.
out=${GK_DHCP_OUT:?GK_DHCP_OUT not set}
if [[ -n ${reason:-} ]]; then
	ev=$reason
	addr=${new_ip_address:-}
	router=${new_routers:-}
	dns=${new_domain_name_servers:-}
	domain=${new_domain_name:-}
	lease=${new_dhcp_lease_time:-}
	host=${new_host_name:-}
	mtu=${new_interface_mtu:-}
	ntp=${new_ntp_servers:-}
	routes=${new_classless_static_routes:-${new_rfc3442_classless_static_routes:-}}
	prefix=${new_subnet_cidr:-}
	if [[ -z $prefix && -n ${new_subnet_mask:-} ]]; then
		prefix=0
		IFS=. read -r -a oct <<<"$new_subnet_mask"
		for o in "${oct[@]}"; do
			while ((o & 0x80)); do
				prefix=$((prefix + 1))
				o=$(((o << 1) & 0xff))
			done
		done
	fi
else
	ev=${1:-}
	addr=${ip:-}
	router=${router:-}
	dns=${dns:-}
	domain=${domain:-}
	lease=${lease:-}
	host=${hostname:-}
	mtu=${mtu:-}
	ntp=${ntpsrv:-}
	routes=${staticroutes:-}
	prefix=${mask:-}
fi

case $ev in
PREINIT)
	ip link set dev "$interface" up ;;
BOUND | RENEW | REBIND | REBOOT | bound | renew)
	ip addr replace "$addr/$prefix" dev "$interface" ;;
EXPIRE | FAIL | RELEASE | STOP | STOPPED | NAK | deconfig | nak)
	ip -4 addr flush dev "$interface" scope global ;;
esac
# Lists are joined with commas: one word per field.
echo "event=$ev ip=$addr prefix=$prefix router=$router dns=$dns" \
    "domain=$domain lease=$lease hostname=$host mtu=$mtu" \
    "ntp=${ntp// /,} routes=${routes// /,}" >>"$out"
exit 0
