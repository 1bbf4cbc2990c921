#!/bin/bash
# Every child runs under its own non-zero uid, with no capability but
# CAP_NET_ADMIN for natd, no_new_privs and a seccomp filter; the parent
# stays root.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

gk_require_root
gk_topology_up privdrop
gk_start

json=$(gk_status_json) || gk_fail "gkctl -j status failed"
errors=()
err() { errors+=("$*"); echo "  error: $*"; }

# status_field PID KEY: the value(s) of "KEY:" in /proc/PID/status.
status_field() {
	awk -v k="$2:" '$1 == k { $1 = ""; sub(/^[ \t]+/, ""); print; exit }' \
	    "/proc/$1/status"
}

uids=()
for d in "${GK_DAEMONS[@]}"; do
	pid=$(gk_daemon_field "$json" "$d" pid)
	if ! [[ $pid =~ ^[0-9]+$ ]] || [[ ! -r /proc/$pid/status ]]; then
		err "$d: no live pid in gkctl status (pid '$pid')"
		continue
	fi
	read -r -a u <<<"$(status_field "$pid" Uid)"
	read -r -a g <<<"$(status_field "$pid" Gid)"
	capeff=$(status_field "$pid" CapEff)
	capprm=$(status_field "$pid" CapPrm)
	nnp=$(status_field "$pid" NoNewPrivs)
	seccomp=$(status_field "$pid" Seccomp)
	want_uid=$(id -u "gk-$d" 2>/dev/null) || want_uid=""
	echo "$d: pid $pid Uid ${u[*]} Gid ${g[*]} CapEff $capeff CapPrm $capprm" \
	    "NoNewPrivs $nnp Seccomp $seccomp (gk-$d is uid ${want_uid:-?})"

	if ((${#u[@]} != 4)) || [[ ${u[0]} != "${u[1]}" || ${u[0]} != "${u[2]}" ||
	    ${u[0]} != "${u[3]}" ]]; then
		err "$d: real, effective, saved and fs uids differ: ${u[*]}"
	fi
	[[ ${u[0]:-0} != 0 ]] || err "$d: runs as root"
	[[ -n $want_uid ]] || err "$d: user gk-$d does not exist"
	[[ ${u[0]:-} == "$want_uid" ]] ||
		err "$d: uid ${u[0]:-?} is not gk-$d's ($want_uid)"
	jsonuid=$(gk_daemon_field "$json" "$d" uid)
	[[ $jsonuid == "${u[0]:-}" ]] ||
		err "$d: gkctl says uid $jsonuid, /proc says ${u[0]:-?}"
	if ((${#g[@]} == 4)); then
		[[ ${g[0]} != 0 && ${g[1]} != 0 && ${g[2]} != 0 && ${g[3]} != 0 ]] ||
			err "$d: keeps gid 0: ${g[*]}"
	fi
	groups=$(status_field "$pid" Groups)
	[[ " $groups " != *" 0 "* ]] || err "$d: keeps supplementary group 0"
	uids+=("${u[0]:-}")

	if [[ $d == natd ]]; then
		want_cap=0000000000001000	# CAP_NET_ADMIN (12) only
	else
		want_cap=0000000000000000
	fi
	[[ $capeff == "$want_cap" ]] || err "$d: CapEff $capeff, want $want_cap"
	[[ $capprm == "$want_cap" ]] || err "$d: CapPrm $capprm, want $want_cap"
	[[ $nnp == 1 ]] || err "$d: NoNewPrivs $nnp, want 1"
	[[ $seccomp == 2 ]] || err "$d: Seccomp $seccomp, want 2 (filter)"
	ppid=$(awk '$1 == "PPid:" { print $2 }' "/proc/$pid/status")
	[[ $ppid == "$GK_PID" ]] || err "$d: parent is $ppid, not gatekeeperd ($GK_PID)"
done

if ((${#uids[@]} == 4)); then
	ndistinct=$(printf '%s\n' "${uids[@]}" | sort -u | wc -l)
	((ndistinct == 4)) || err "the four daemons do not have four distinct uids: ${uids[*]}"
fi

read -r -a pu <<<"$(status_field "$GK_PID" Uid)"
echo "gatekeeperd: pid $GK_PID Uid ${pu[*]}"
[[ ${pu[0]} == 0 && ${pu[1]} == 0 ]] || err "gatekeeperd does not run as root: ${pu[*]}"

((${#errors[@]} == 0)) || gk_fail "${#errors[@]} error(s), see above"
gk_stop
[[ $GK_EXIT == 0 ]] || gk_fail "gatekeeperd exited with $GK_EXIT"
gk_log "ok"
