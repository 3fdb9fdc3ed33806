# cli_lib.sh - shared helpers of the CLI tests (sourced): running nanobench,
# reading one column of a CSV record or a run folder's rows, counting
# failures.
NB=${NB:?NB must name the nanobench binary}
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# column NAME FILE: the value of column NAME in a header+row CSV file.
column() {
	awk -v want="$1" '
		function split_csv(line, out,   n, i, c, q, f) {
			n = 0; f = ""; q = 0
			for (i = 1; i <= length(line); i++) {
				c = substr(line, i, 1)
				if (q) { if (c == "\"") { if (substr(line, i + 1, 1) == "\"") { f = f c; i++ } else q = 0 } else f = f c }
				else if (c == "\"") q = 1
				else if (c == ",") { out[++n] = f; f = "" }
				else f = f c
			}
			out[++n] = f
			return n
		}
		NR == 1 { n = split_csv($0, h); for (i = 1; i <= n; i++) if (h[i] == want) col = i }
		NR == 2 { split_csv($0, v); print v[col] }' "$2"
}

# ROWS: python that reads a run folder's results.csv as a list of dicts
# (rows(PATH)), for the checks of the matrix tests: plain CSV, the header
# its first line.
ROWS='
import csv, os, sys
def rows(path):
    with open(path, newline="") as f:
        r = csv.DictReader(f)
        assert r.fieldnames[:3] == ["matrix", "host", "block"], r.fieldnames[:3]
        return list(r)
'

finish() {
	if [ "$failures" -ne 0 ]; then
		echo "$failures failure(s)" >&2
		exit 1
	fi
	exit 0
}
