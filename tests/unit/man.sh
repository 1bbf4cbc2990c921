#!/bin/bash
# The man pages: mandoc -Tlint clean (warnings and worse), every statement
# of common/conf.c's table in gatekeeper.conf(5), every catalogue command
# in the generated gkctl(8), and gkctl(8) never standing for gatekeeperd.
set -euo pipefail

GK_SRC=${GK_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
GK_BUILD=${GK_BUILD:-$GK_SRC/build}
fail() {
	echo "FAIL: man: $*"
	exit 1
}
if ! command -v mandoc >/dev/null; then
	echo "SKIP: man: mandoc is not installed (scripts/packages/ops.txt)"
	exit 77
fi
conf5=$GK_SRC/docs/gatekeeper.conf.5
gkd8=$GK_SRC/docs/gatekeeperd.8
gkctl8=$GK_BUILD/docs/gkctl.8
[[ -f $gkctl8 ]] || fail "$gkctl8 is not built"

for page in "$conf5" "$gkd8" "$gkctl8"; do
	out=$(mandoc -Tlint -Wwarning "$page" 2>&1) || true
	[[ -z $out ]] || fail "mandoc -Tlint $page:"$'\n'"$out"
	head -n 5 "$page" | grep -q '^\.Dd' || grep -q '^\.Dd' "$page" ||
		fail "$page is not mdoc"
	grep -q '^\.TH' "$page" && fail "$page is man(7), not mdoc"
	echo "lint clean: $page"
done

# Every statement of the parser's table, as an item of its own.
stmts=$(sed -n '/^static const struct statement statements\[\] = {/,/^};/p' \
    "$GK_SRC/common/conf.c" | grep -oE '^	\{ "[a-z-]+"' | grep -oE '[a-z-]+')
n=0
for st in $stmts; do
	grep -qE "^\.It Ic $st( |\$)" "$conf5" ||
		fail "gatekeeper.conf(5) does not document the statement $st"
	n=$((n + 1))
done
((n >= 20)) || fail "found only $n statements in common/conf.c"
echo "gatekeeper.conf(5) documents all $n statements"

# Every command gkctl knows (its help lists the catalogue).
gkctl=$GK_BUILD/gkctl/gkctl
n=0
while read -r c; do
	grep -qE "^\.It Ic $c( |\$)" "$gkctl8" ||
		fail "gkctl(8) does not document the command '$c'"
	n=$((n + 1))
done < <("$gkctl" help | awk '/^  [a-z]/ {	# the usage column: 30 wide
	n = split(substr($0, 3, 30), w, " ")
	c = w[1]
	for (i = 2; i <= n && w[i] ~ /^[a-z]+$/; i++)
		c = c " " w[i]
	print c
}')
((n >= 10)) || fail "gkctl help listed only $n commands"
echo "gkctl(8) documents all $n commands"
grep -q "^\.Sh EXIT STATUS" "$gkctl8" || fail "gkctl(8) has no EXIT STATUS"
for code in 0 1 2 3; do
	sed -n '/^\.Sh EXIT STATUS/,/^\.Sh/p' "$gkctl8" | grep -qx "\.It $code" ||
		fail "gkctl(8) does not document exit status $code"
done

# Where gatekeeperd is meant (options, startup, bridging), not gkctl.
grep -n -B1 -E '^(is given another file|bridges them|chooses at startup|does not start)' \
    "$conf5" | grep 'Xr gkctl' && fail "gatekeeper.conf(5) says gkctl(8) for gatekeeperd"
echo "ok"
