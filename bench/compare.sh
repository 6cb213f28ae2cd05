# bench/compare.sh: sourced (". bench/compare.sh") by the bench scripts
# that compare two builds, bench/run-audit and bench/run-delivery. This
# machine's speed drifts (2x over minutes on a shared 2-core VM), so a
# figure is only worth comparing with one taken beside it: the scripts run
# the same round against each build in turn and report medians.

# compare_rounds N FN NEW BASE: FN BIN NAME ROUND for rounds 1..N, with
# NAME "new" for binary NEW and "base" for binary BASE (none: BASE empty);
# new first in odd rounds, base first in even ones (ABBA), so that a drift
# over the run weighs on both alike.
compare_rounds() {
	_n=$1 _fn=$2 _new=$3 _base=$4 _r=1
	while [ "$_r" -le "$_n" ]; do
		printf 'round %d of %d (load average %s)\n' "$_r" "$_n" "$(compare_load)" >&2
		if [ -z "$_base" ]; then
			"$_fn" "$_new" new "$_r"
		elif [ $((_r % 2)) -eq 1 ]; then
			"$_fn" "$_new" new "$_r"
			"$_fn" "$_base" base "$_r"
		else
			"$_fn" "$_base" base "$_r"
			"$_fn" "$_new" new "$_r"
		fi
		_r=$((_r + 1))
	done
}

# compare_median: the median of the numbers on standard input, one a line
# (nothing when there are none).
compare_median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) exit; if (NR % 2) print v[(NR + 1) / 2];
		else printf "%.10g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# compare_row LABEL NEW_FILE BASE_FILE: the label, the median of each
# file and new/base (base columns empty without BASE_FILE's data).
compare_row() {
	_a=$(compare_median <"$2")
	_b=
	[ ! -s "${3:-/nonexistent}" ] || _b=$(compare_median <"$3")
	awk -v l="$1" -v a="$_a" -v b="$_b" 'BEGIN {
		printf "%-52s %12s %12s %8s\n", l, a, b, (b != "" && b + 0 != 0 ? sprintf("%.3f", a / b) : "") }'
}

# compare_load: the load averages (1, 5, 15 minutes).
compare_load() { cut -d' ' -f1-3 /proc/loadavg; }

# compare_cpu_ticks PID: user + system time of PID in clock ticks.
compare_cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

# compare_binary DIR_OR_BINARY: the trilex binary of a build directory, or
# the binary itself.
compare_binary() {
	if [ -d "$1" ]; then
		printf '%s\n' "$(cd "$1" && pwd)/trilex"
	else
		printf '%s\n' "$1"
	fi
}
