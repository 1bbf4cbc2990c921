#!/bin/bash
# The Debian package built from the tree (debian/, dpkg-buildpackage with
# debhelper and meson, tests off: they ran already): its files are those of
# deb.list, the config a conffile, the users made by systemd-sysusers in
# postinst (tried here in an empty root), and the service neither enabled
# nor started on install. Suite "package": dh_auto_test never runs it.
set -euo pipefail

GK_SRC=${GK_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
fail() {
	echo "FAIL: deb: $*"
	exit 1
}
for t in dpkg-buildpackage dh git; do
	command -v "$t" >/dev/null || {
		echo "SKIP: deb: $t is missing (scripts/packages/ops.txt)"
		exit 77
	}
done
tmp=$(mktemp -d /tmp/gk-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# A copy of the tracked tree (and uncommitted edits), without build/:
# dpkg-buildpackage writes beside the source directory.
mkdir "$tmp/src"
git -C "$GK_SRC" ls-files -z --cached --others --exclude-standard |
    (cd "$GK_SRC" && tar --null -T - -cf - 2>/dev/null) | tar -xf - -C "$tmp/src"
start=$SECONDS
(cd "$tmp/src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
    dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1) ||
	{ tail -n 40 "$tmp/build.log"; fail "dpkg-buildpackage failed"; }
echo "dpkg-buildpackage: $((SECONDS - start)) s"
deb=$(ls "$tmp"/gatekeeper_*_*.deb)

dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $6 }' | sort >"$tmp/got"
grep -v '^#' "$GK_SRC/tests/unit/deb.list" | sort >"$tmp/want"
diff -u "$tmp/want" "$tmp/got" || fail "the package's files differ from tests/unit/deb.list"
echo "the package holds the $(wc -l <"$tmp/got") expected files"

dpkg-deb -e "$deb" "$tmp/control"
grep -qx /etc/gatekeeper/gatekeeper.conf "$tmp/control/conffiles" ||
	fail "gatekeeper.conf is not a conffile"
grep -q 'systemd-sysusers .*gatekeeper.conf' "$tmp/control/postinst" ||
	fail "postinst does not create the users"
grep -qE 'deb-systemd-invoke .*start|systemctl .*start' "$tmp/control/postinst" &&
	fail "postinst starts the service"
grep -q 'deb-systemd-helper enable' "$tmp/control/postinst" &&
	fail "postinst enables the service"

# The users and group the postinst creates, made in an empty root.
dpkg-deb -x "$deb" "$tmp/root"
if command -v systemd-sysusers >/dev/null; then
	systemd-sysusers --root="$tmp/root" gatekeeper.conf
	for u in gk-natd gk-dhcpd gk-dnsd gk-webd; do
		grep -q "^$u:" "$tmp/root/etc/passwd" || fail "sysusers did not create $u"
	done
	grep -q '^gatekeeper:' "$tmp/root/etc/group" || fail "no group gatekeeper"
	echo "systemd-sysusers creates gk-natd gk-dhcpd gk-dnsd gk-webd and gatekeeper"
fi
"$tmp/root/usr/sbin/gkctl" -V | grep -q '^gkctl ' || fail "the packaged gkctl does not run"
echo "ok"
