#!/bin/bash
# gkctl's bash completion (gkctl/gkctl.bash): commands from the catalogue
# (through gkctl help), daemon names, argument keywords, and the LAN
# devices' MACs and IPs from `gkctl -j leases` (a stand-in gkctl answers).
set -uo pipefail

GK_SRC=${GK_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
GK_BUILD=${GK_BUILD:-$GK_SRC/build}
bc=/usr/share/bash-completion/bash_completion
if [[ ! -f $bc ]]; then
	echo "SKIP: completion: bash-completion is not installed (scripts/packages/ops.txt)"
	exit 77
fi
tmp=$(mktemp -d /tmp/gk-compl.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# A gkctl whose "-j leases" answers two devices and "-j devices" a
# registry of two (one offline, without a lease); all else is the real one.
cat >"$tmp/gkctl" <<EOS
#!/bin/bash
if [[ " \$* " == *" -j leases "* ]]; then
	echo '{"leases": [{"ip": "10.42.0.10", "mac": "52:54:00:12:34:56"},'
	echo ' {"ip": "10.42.0.11", "mac": "02:00:00:00:00:0b"}]}'
	exit 0
fi
if [[ " \$* " == *" -j devices "* ]]; then
	echo '{"devices": [{"ip": "10.42.0.10", "mac": "52:54:00:12:34:56"},'
	echo ' {"ip": "10.42.0.77", "mac": "b8:27:eb:01:02:03"}]}'
	exit 0
fi
exec "$GK_BUILD/gkctl/gkctl" "\$@"
EOS
chmod +x "$tmp/gkctl"

# shellcheck disable=SC1090
. "$bc"
# shellcheck disable=SC1091
. "$GK_SRC/gkctl/gkctl.bash"
failed=0
# want "WORDS ..." -- EXPECTED...: completes the last word.
want() {
	local words=() expect
	while [[ $1 != -- ]]; do words+=("$1"); shift; done
	shift
	expect="$*"
	COMP_WORDS=("$tmp/gkctl" "${words[@]}")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_gkctl gkctl "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"
	local got
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ')
	got=${got% }
	if [[ $got != "$expect" ]]; then
		echo "FAIL: gkctl ${words[*]}<TAB>: got '$got', want '$expect'"
		failed=1
	else
		echo "gkctl ${words[*]}<TAB>: $got"
	fi
}
want "" -- clients devices dns forget forward forwards help label lease leases names nat passwd pcap restart status traffic usage
want le -- lease leases
want lease "" -- add del
want -j dns "" -- flush log stats
want restart "" -- dhcpd dnsd natd webd
want help fo -- forget forward forwards
want label "" -- 52:54:00:12:34:56 b8:27:eb:01:02:03
want forget b8 -- b8:27:eb:01:02:03
want forward add "" -- tcp udp
want forward add tcp 8443 "" -- 10.42.0.10 10.42.0.11
want nat timeout udp 30 i -- icmp
want nat "" -- 10.42.0.10 10.42.0.11 timeout
want lease del "" -- 02:00:00:00:00:0b 52:54:00:12:34:56
want lease add 52:54:00:12:34:56 "" -- 10.42.0.10 10.42.0.11
want dns log 10.42.0.1 -- 10.42.0.10 10.42.0.11
want pcap "" -- 10.42.0.10 10.42.0.11 clear
want pcap clear "" -- 10.42.0.10 10.42.0.11
want usage "" -- 10.42.0.10 10.42.0.11
want usage 10.42.0.10 --f -- --from
want traffic 10.42.0.10 --s -- --step
want traffic 10.42.0.10 --p -- --points
want -V -- -V
want --v -- --version
((failed == 0)) || exit 1
echo "ok"
