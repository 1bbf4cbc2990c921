# shellcheck shell=bash
#
# Shared by scripts/test and scripts/demo: root check, Debian packages,
# system users, build. Source it; it defines functions and GK_ROOT only.

GK_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GK_BUILD_DIR=$GK_ROOT/build
GK_MESON_OPTS=(-Db_sanitize=address,undefined -Db_lundef=false)

# What the build and the tests need on Debian 12: the core list here,
# plus one list per area in scripts/packages/*.txt (a package a line, #
# comments), so each daemon's tests name their own clients and servers.
# "PKG?CMD" installs PKG only when the command CMD is missing: a machine
# may carry its own (Node.js from NodeSource bundles npm, and Debian's
# npm package conflicts with it).
GK_PACKAGES=(
	build-essential clang meson ninja-build pkg-config
	libnetfilter-queue-dev libmnl-dev libnftnl-dev libevent-dev libbsd-dev
	libjansson-dev libsqlite3-dev libseccomp-dev libcap-dev
	iptables nftables iproute2 ethtool iputils-ping
	jq util-linux procps psmisc passwd
)
for _gk_list in "$GK_ROOT"/scripts/packages/*.txt; do
	[[ -f $_gk_list ]] || continue
	while read -r _gk_pkg _; do
		[[ -n $_gk_pkg && $_gk_pkg != \#* ]] && GK_PACKAGES+=("$_gk_pkg")
	done <"$_gk_list"
done
unset _gk_list _gk_pkg

# gk_need_root NAME: run by another user, say so and stop.
gk_need_root() {
	if ((EUID != 0)); then
		echo "scripts/$1 needs root (network namespaces, firewall rules," \
		    "system users, packages): run it as: sudo ./scripts/$1" >&2
		exit 1
	fi
}

gk_step() { printf '\n==> %s\n' "$*"; }

# Installs the packages that are missing, and only then runs apt-get update.
gk_install_deps() {
	local p missing=()
	for p in "${GK_PACKAGES[@]}"; do
		if [[ $p == *\?* ]]; then
			command -v "${p#*\?}" >/dev/null && continue
			p=${p%%\?*}
		fi
		if [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) != installed ]]; then
			missing+=("$p")
		fi
	done
	if ((${#missing[@]} == 0)); then
		echo "all ${#GK_PACKAGES[@]} packages present"
		return 0
	fi
	gk_step "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q </dev/null || return 1
	apt-get install -y -q "${missing[@]}" </dev/null || return 1
}

# The users and group of systemd/sysusers.d/gatekeeper.conf, created the
# way systemd-sysusers would, when absent.
gk_ensure_users() {
	local d u
	if ! getent group gatekeeper >/dev/null; then
		echo "creating group gatekeeper"
		groupadd --system gatekeeper || return 1
	fi
	for d in natd dhcpd dnsd webd; do
		u=gk-$d
		getent passwd "$u" >/dev/null && continue
		echo "creating user $u"
		if getent group "$u" >/dev/null; then
			useradd --system --no-create-home --home-dir /nonexistent \
			    --shell /usr/sbin/nologin --gid "$u" "$u" || return 1
		else
			useradd --system --no-create-home --home-dir /nonexistent \
			    --shell /usr/sbin/nologin --user-group "$u" || return 1
		fi
	done
}

# Configures (or reconfigures) build/ with the sanitizers, and builds.
gk_build() {
	cd "$GK_ROOT" || return 1
	if [[ -f $GK_BUILD_DIR/meson-private/coredata.dat ]]; then
		meson setup --reconfigure "$GK_BUILD_DIR" "${GK_MESON_OPTS[@]}" ||
			meson setup --wipe "$GK_BUILD_DIR" "${GK_MESON_OPTS[@]}" ||
			return 1
	else
		meson setup "$GK_BUILD_DIR" "${GK_MESON_OPTS[@]}" || return 1
	fi
	meson compile -C "$GK_BUILD_DIR" || return 1
}
