#!/usr/bin/env bash
# A DHCP client's hostname resolves, and its PTR: a real client (dhclient
# sending a host-name option, with a script of ours so it never touches the host's resolv.conf)
# gets a lease from the real dhcpd, which hands the name to dnsd.
set -u
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/dnslib.sh"

gk_require_root
dns_require_tools
command -v dhclient >/dev/null ||
	gk_skip "dhclient is not installed (scripts/packages/dnsd.txt)"
gk_topology_up dnshost 2
dns_client 2
dns_config
gk_start

service=$(gk_status_json | jq -r '.daemons[] | select(.name == "dhcpd") | .detail.service // ""')
[[ $service == serving ]] ||
	gk_skip "dhcpd does not serve DHCP yet (its status says \"$service\")"

# The client: dhclient in the foreground, configuring only its own
# namespace's eth0 through our script.
script=$GK_TMP/dhclient-script
cat >"$script" <<SCRIPT
#!/bin/sh
case \$reason in
BOUND|RENEW|REBIND|REBOOT)
	ip addr add "\$new_ip_address/24" dev "\$interface" 2>/dev/null
	echo "\$new_ip_address" >"$GK_TMP/dhclient.ip"
	;;
esac
exit 0
SCRIPT
chmod 0755 "$script"
printf 'send host-name "laptop-test";\nrequest subnet-mask, routers;\n' \
    >"$GK_TMP/dhclient.conf"
gk_bg "${GK_NS_LANS[0]}" dhclient -d -4 -cf "$GK_TMP/dhclient.conf" \
    -sf "$script" -pf "$GK_TMP/dhclient.pid" -lf "$GK_TMP/dhclient.leases" \
    eth0 >"$GK_TMP/dhclient.log" 2>&1
for ((i = 0; i < 100; i++)); do
	[[ -s $GK_TMP/dhclient.ip ]] && break
	sleep 0.1
done
[[ -s $GK_TMP/dhclient.ip ]] ||
	gk_fail "dhclient got no lease within 10 s: $(tail -5 "$GK_TMP/dhclient.log")"
ip=$(cat "$GK_TMP/dhclient.ip")
gk_log "dhclient bound $ip"

for ((i = 0; i < 20; i++)); do
	out=$(dns_dig 2 +short laptop-test.lan A)
	[[ $out == "$ip" ]] && break
	sleep 0.1
done
[[ $out == "$ip" ]] || gk_fail "laptop-test.lan gives '$out', not $ip"
out=$(dns_kdig 2 +short -x "$ip")
[[ $out == laptop-test.lan. ]] || gk_fail "PTR of $ip gives '$out'"
out=$(dns_dig 2 +noall +answer laptop-test.lan A)
ttl=$(awk '{print $2; exit}' <<<"$out")
((ttl <= 60)) || gk_fail "a local name's TTL should be short: $ttl"
gk_log "ok: laptop-test.lan = $ip, and its PTR"

dns_no_sigsys
gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"
gk_log "PASS"
