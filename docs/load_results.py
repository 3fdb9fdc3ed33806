#!/usr/bin/env python3
"""Read a nanobench run folder from Python (docs/results.md says what is in it).

    python3 docs/load_results.py RUN_DIR

prints the median throughput of every allocator in every comparison block,
read with the standard library's csv module and, where pandas is installed,
again with pandas. results.csv is plain CSV, its first line the header, so
both read it with their defaults; the schema's version is in meta.json.

Folders written by nanobench before the version moved to meta.json open with
one more line, "# nanobench results v1", and their meta.json has no
results_schema: this script skips that line (pandas: skiprows=1).
"""
import csv
import json
import os
import statistics
import sys

SCHEMA = 1      # the version of results.csv's columns this script knows
OLD_FIRST_LINE = "# nanobench results v1"


def load_meta(run_dir):
    with open(os.path.join(run_dir, "meta.json")) as f:
        return json.load(f)


def load_rows(run_dir):
    """Every row of RUN_DIR/results.csv as a dict of column name -> text
    ("" where the value is unknown or does not apply)."""
    with open(os.path.join(run_dir, "results.csv"), newline="") as f:
        if old_form(run_dir):
            f.readline()
        return list(csv.DictReader(f))


def old_form(run_dir):
    """Does results.csv open with the line of older versions?"""
    with open(os.path.join(run_dir, "results.csv")) as f:
        return f.readline().rstrip("\r\n") == OLD_FIRST_LINE


def block_key(row):
    """A comparison block: one workload, size distribution, thread count and
    placement; every allocator of a block ran interleaved on one host."""
    return (row["wl_label"], row["req_size_dist"], int(row["threads"]), row["placement"])


def medians(rows):
    """Median ops/s per (block, allocator), over the successful repetitions.
    Program cells have no ops_per_s (their figure is `metric`, or 1 / wall_s):
    left out here."""
    speeds = {}
    for r in rows:
        if r["cell_status"] == "ok" and r["ops_per_s"]:
            speeds.setdefault((block_key(r), r["alloc_label"]), []).append(float(r["ops_per_s"]))
    return {k: statistics.median(v) for k, v in speeds.items()}


def medians_pandas(run_dir):
    """The same with pandas (raises ImportError without it)."""
    import pandas as pd
    df = pd.read_csv(os.path.join(run_dir, "results.csv"), skiprows=1 if old_form(run_dir) else 0)
    ok = df[(df["cell_status"] == "ok") & df["ops_per_s"].notna()]
    by = ["wl_label", "req_size_dist", "threads", "placement", "alloc_label"]
    return {(k[:4], k[4]): v for k, v in ok.groupby(by)["ops_per_s"].median().items()}


def main(run_dir):
    meta = load_meta(run_dir)
    schema = meta.get("results_schema", 1)     # older folders: version 1 in the file
    if schema != SCHEMA:
        print(f"{run_dir}: results.csv of schema {schema}, this script reads {SCHEMA}",
              file=sys.stderr)
        return 2
    rows = load_rows(run_dir)
    print(f"{run_dir}: matrix {meta['matrix']}, {len(rows)} rows, status {meta['status']}")
    m = medians(rows)
    for (block, alloc), v in sorted(m.items()):
        wl, dist, threads, place = block
        print(f"  {wl:18} {dist:8} {threads:4} {place:8} {alloc:14} {v / 1e6:10.3f} M ops/s")
    try:
        mp = medians_pandas(run_dir)
    except ImportError:
        print("pandas is not installed: read with the csv module only")
        return 0
    same = mp.keys() == m.keys() and all(abs(mp[k] - m[k]) <= 1e-9 * m[k] for k in m)
    print("pandas: the same medians" if same else "pandas: other medians")
    return 0 if same else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: load_results.py RUN_DIR", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
