# bash completion for gkctl(8): commands from the catalogue (gkctl help
# prints it, so this file never lists them itself), daemon names, and the
# LAN devices' IPs and MACs from `gkctl -j leases` (label and forget: the
# registry's MACs from `gkctl -j devices`) when gatekeeperd answers.

# The command names (their words) from `gkctl help`.
_gkctl_commands()
{
	"$1" help 2>/dev/null | awk '/^  [a-z]/ {
		n = split(substr($0, 3, 30), w, " ")
		c = w[1]
		for (i = 2; i <= n && w[i] ~ /^[a-z]+$/; i++)
			c = c " " w[i]
		print c
	}'
}

# Values of one key ("ip" or "mac") of the leases, on the same socket.
_gkctl_leases()
{
	local key=$1
	shift
	timeout 2 "$@" -j leases 2>/dev/null |
	    sed -n 's/.*"'"$key"'": *"\([^"]*\)".*/\1/p' | sort -u
}

# The MACs of the device registry (forgotten ones are not there).
_gkctl_devices()
{
	timeout 2 "$@" -j devices 2>/dev/null |
	    sed -n 's/.*"mac": *"\([^"]*\)".*/\1/p' | sort -u
}

_gkctl()
{
	local cur prev words cword
	_init_completion -n : || return

	local gk=${words[0]} i sock=() args=() cmds line w
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-s) sock=(-s "${words[i + 1]}"); ((i++)) ;;
		-*) ;;
		*) args+=("${words[i]}") ;;
		esac
	done
	if [[ $prev == -s ]]; then
		_filedir
		return
	fi
	# gkctl's own options before the command; the command's after it
	if [[ $cur == -* && ${#args[@]} -eq 0 ]]; then
		COMPREPLY=($(compgen -W '-h --help -j -s -V --version' -- "$cur"))
		return
	fi
	[[ ${args[0]-} == help ]] && args=("${args[@]:1}")
	cmds=$(_gkctl_commands "$gk")
	# The command typed so far (its longest name), and how many of its
	# arguments are complete.
	local typed="${args[*]-} " cmd= n next=()
	while IFS= read -r line; do
		[[ $typed == "$line "* && ${#line} -gt ${#cmd} ]] && cmd=$line
	done <<<"$cmds"
	# The next word of each longer name ("nat" may go on as "nat timeout").
	local sofar=${typed% }
	while IFS= read -r line; do
		if [[ -z $sofar ]]; then
			next+=("${line%% *}")
		elif [[ $line == "$sofar "* ]]; then
			w=${line#"$sofar "}
			next+=("${w%% *}")
		fi
	done <<<"$cmds"
	[[ -z $sofar ]] && next+=(help)
	next=($(printf '%s\n' "${next[@]-}" | sort -u))
	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "${next[*]-}" -- "$cur"))
		return
	fi
	read -ra w <<<"$cmd"
	n=$((${#args[@]} - ${#w[@]}))
	local ips macs
	case $cmd in
	restart)
		((n == 0)) && COMPREPLY=($(compgen -W 'natd dhcpd dnsd webd' -- "$cur")) ;;
	"forward add" | "forward del")
		if ((n == 0)); then
			COMPREPLY=($(compgen -W 'tcp udp' -- "$cur"))
		elif ((n == 2)) && [[ $cmd == "forward add" ]]; then
			ips=$(_gkctl_leases ip "$gk" "${sock[@]}")
			COMPREPLY=($(compgen -W "$ips" -- "$cur"))
		fi ;;
	"nat timeout")
		((n % 2 == 0)) && COMPREPLY=($(compgen -W \
		    'udp tcp-established tcp-transitory icmp other' -- "$cur")) ;;
	"lease add" | "lease del")
		if ((n == 0)); then
			macs=$(_gkctl_leases mac "$gk" "${sock[@]}")
			COMPREPLY=($(compgen -W "$macs" -- "$cur"))
			__ltrim_colon_completions "$cur"
		elif ((n == 1)) && [[ $cmd == "lease add" ]]; then
			ips=$(_gkctl_leases ip "$gk" "${sock[@]}")
			COMPREPLY=($(compgen -W "$ips" -- "$cur"))
		fi ;;
	"dns log" | nat | names | pcap | "pcap clear")
		if ((n == 0)); then
			ips=$(_gkctl_leases ip "$gk" "${sock[@]}")
			COMPREPLY=($(compgen -W "$ips ${next[*]-}" -- "$cur"))
		fi ;;
	label | forget)
		if ((n == 0)); then
			macs=$(_gkctl_devices "$gk" "${sock[@]}")
			COMPREPLY=($(compgen -W "$macs" -- "$cur"))
			__ltrim_colon_completions "$cur"
		fi ;;
	traffic)
		if ((n == 0)); then
			ips=$(_gkctl_leases ip "$gk" "${sock[@]}")
			COMPREPLY=($(compgen -W "$ips" -- "$cur"))
		elif [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W \
			    '--remote --from --to --step --points --csv' \
			    -- "$cur"))
		fi ;;
	usage)
		if ((n == 0)); then
			ips=$(_gkctl_leases ip "$gk" "${sock[@]}")
			COMPREPLY=($(compgen -W "$ips" -- "$cur"))
		elif [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '--from --to --csv' -- "$cur"))
		fi ;;
	esac
}
complete -F _gkctl gkctl
