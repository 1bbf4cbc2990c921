#!/bin/bash
#
# Runs the netcfg driver (path in $1) as root in a scratch network
# namespace of its own, which is deleted again whatever happens. The
# driver changes links, addresses, sysctls and firewall rules of the
# namespace it runs in: never run it anywhere else.
#
# Exit 0 pass, 1 fail, 77 skipped (with the reason printed).

set -u

driver=${1:-}
if [[ -z $driver || ! -x $driver ]]; then
	echo "usage: $0 path/to/netcfg_check" >&2
	exit 1
fi
if ((EUID != 0)); then
	echo "SKIP: netcfg: needs root (network namespaces)"
	exit 77
fi
if ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1; then
	echo "SKIP: netcfg: \"ip netns\" does not work here"
	exit 77
fi

ns=gk-netcfg-$$
trap 'ip netns del "$ns" 2>/dev/null' EXIT
if ! ip netns add "$ns"; then
	echo "SKIP: netcfg: cannot create network namespace $ns"
	exit 77
fi
ip netns exec "$ns" env GK_NETNS_SCRATCH=1 "$driver"
