#!/usr/bin/env python3
"""test_loader.py csv|pandas - docs/load_results.py on a fresh run folder.

csv: a tiny matrix run by build/nanobench; its results.csv read with the
csv module as it is, no line skipped: the header is the first line, every
row has the header's fields, the rows are the cells that ran; then the
example itself runs on the folder. pandas: pandas.read_csv with its
defaults reads the same rows and columns, and the example's medians agree
(exit 77, a skip, where pandas is not installed).
"""
import csv
import importlib.util
import os
import subprocess
import sys
import tempfile

NB = os.environ["NB"]
DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

MATRIX = """[matrix]
name = loader
allocators = glibc nano
threads = 1 2
size_dists = nano
repetitions = 2
warmup = 0
duration = 0.05
timeout = 30

[workload threadtest]
objects = 100

[program sort]
command = seq 2000 | sort -r > /dev/null
threads = 1
"""


def example():
    spec = importlib.util.spec_from_file_location("load_results", os.path.join(DOCS, "load_results.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run_folder(tmp):
    ini = os.path.join(tmp, "m.ini")
    with open(ini, "w") as f:
        f.write(MATRIX)
    d = os.path.join(tmp, "run")
    subprocess.run([NB, "matrix", ini, "--out", d, "--quiet"], check=True)
    return d


def case_csv(d, ex):
    with open(os.path.join(d, "results.csv"), newline="") as f:
        lines = list(csv.reader(f))
    header, body = lines[0], lines[1:]
    assert header[:4] == ["matrix", "host", "block", "rep"], header[:4]
    assert all(len(r) == len(header) for r in body), "a row with another number of fields"
    rows = ex.load_rows(d)
    # 2 threads x 2 allocators x 2 repetitions of threadtest, 2 x 2 of sort
    assert len(rows) == len(body) == 12, len(rows)
    assert all(r["cell_status"] == "ok" for r in rows), [r["cell_reason"] for r in rows]
    assert all(float(r["ops_per_s"]) > 0 for r in rows if r["wl_label"] == "threadtest")
    assert all(r["ops_per_s"] == "" and float(r["wall_s"]) > 0 for r in rows if r["wl_label"] == "sort")
    m = ex.medians(rows)
    assert sorted(m) == sorted(((("threadtest", "nano", t, "compact"), a)
                                for t in (1, 2) for a in ("glibc", "nano"))), sorted(m)
    assert ex.load_meta(d)["results_schema"] == ex.SCHEMA and not ex.old_form(d)
    p = subprocess.run([sys.executable, os.path.join(DOCS, "load_results.py"), d],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "12 rows" in p.stdout and p.stdout.count(" M ops/s") == 4, p.stdout


def case_pandas(d, ex):
    try:
        import pandas as pd
    except ImportError:
        print("pandas is not installed (Debian: python3-pandas): skipped")
        sys.exit(77)
    df = pd.read_csv(os.path.join(d, "results.csv"))
    rows = ex.load_rows(d)
    assert list(df.columns) == list(rows[0].keys()) and len(df) == len(rows), df.shape
    assert df["threads"].dtype.kind == "i" and df["ops_per_s"].dtype.kind in "if", df.dtypes
    assert list(df["cell_key"]) == [r["cell_key"] for r in rows]
    m, mp = ex.medians(rows), ex.medians_pandas(d)
    assert m.keys() == mp.keys() and all(abs(m[k] - mp[k]) <= 1e-9 * m[k] for k in m), (m, mp)


def main():
    with tempfile.TemporaryDirectory(prefix="nb-loader-") as tmp:
        d = run_folder(tmp)
        {"csv": case_csv, "pandas": case_pandas}[sys.argv[1]](d, example())
    print("ok")


if __name__ == "__main__":
    main()
