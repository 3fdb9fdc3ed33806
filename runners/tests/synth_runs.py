#!/usr/bin/env python3
"""synth_runs.py DIR [options] - write a synthetic run folder (results.csv
and meta.json) whose effects are known, for the tests of `nanobench compare`
and summary.md. Values are lognormal around 1e6 ops/s (or a program's
metric), drawn from Python's random with a fixed seed, so the same options
write the same folder: a "copy" of a run is the same seed again, with
--change applied.

  --seed N            random seed (default 1)
  --reps N            repetitions per cell (default 6)
  --blocks N          comparison blocks (workloads wl0.., larson first)
  --allocs N          allocators per block (glibc nano nano-rseq jemalloc
                      mimalloc tcmalloc tbb scudo, in that order)
  --cv X              coefficient of variation of the noise (default 0.03)
  --change WL:ALLOC:F multiply that cell's values by F (repeatable)
  --drift F           multiply every value by F (a machine slower or faster
                      for the whole run)
  --threads N         the blocks' thread count (default 2)
  --program LABEL:UNIT:HIB:ALLOC=VALUE,...  add a [program LABEL] block whose
                      metric is VALUE (times the noise) per allocator; HIB 1
                      when higher is better
  --workload LABEL:ALLOC=VALUE,...  add a workload block with these medians
  --legacy 1          results.csv as older versions wrote it: the line
                      "# nanobench results v1" before the header
"""
import json, math, os, random, sys

ALLOCS = ["glibc", "nano", "nano-rseq", "jemalloc", "mimalloc", "tcmalloc", "tbb", "scudo"]
COLS = ["matrix", "host", "block", "rep", "cell_key", "wl_label", "req_size_dist", "alloc_label",
        "req_hyper_shift", "req_map", "cell_status", "cell_reason", "cell_wall_s", "command",
        "metric", "metric_unit", "higher_is_better", "workload", "threads", "placement",
        "wall_s", "ops_per_s", "steal_s", "status"]


def main(argv):
    out, opts = argv[0], {"seed": 1, "reps": 6, "blocks": 1, "allocs": 8, "cv": 0.03, "threads": 2,
                          "drift": 1.0, "legacy": 0}
    changes, programs, workloads = {}, [], []
    i = 1
    while i < len(argv):
        k, v = argv[i][2:], argv[i + 1]
        i += 2
        if k == "change":
            wl, a, f = v.split(":")
            changes[(wl, a)] = float(f)
        elif k == "program":
            label, unit, hib, vals = v.split(":", 3)
            programs.append((label, unit, hib, dict(x.split("=") for x in vals.split(","))))
        elif k == "workload":
            label, vals = v.split(":", 1)
            workloads.append((label, dict(x.split("=") for x in vals.split(","))))
        else:
            opts[k] = float(v) if k in ("cv", "drift") else int(v)
    rnd = random.Random(opts["seed"])
    sigma = math.sqrt(math.log(1 + opts["cv"] ** 2))
    rows, t = [], opts["threads"]

    def cell(block, wl, dist, alloc, rep, median, extra):
        v = median * math.exp(rnd.gauss(0, sigma)) * changes.get((wl, alloc), 1.0) * opts["drift"]
        r = dict.fromkeys(COLS, "")
        r.update(matrix="synth", host="synth", block=block, rep=rep,
                 cell_key=f"{wl}|{dist}|t{t}|compact|{alloc}|hs-1|-|r{rep}", wl_label=wl,
                 req_size_dist=dist, alloc_label=alloc, cell_status="ok", cell_wall_s="1",
                 workload=wl, threads=t, placement="compact", status="ok", steal_s="0.00")
        r.update(extra(v))
        rows.append(r)

    names = ALLOCS[:opts["allocs"]]
    for b in range(opts["blocks"]):
        wl = "larson" if b == 0 else f"wl{b}"
        for rep in range(opts["reps"]):
            for a in names:
                cell(b, wl, "classic", a, rep, 1e6,
                     lambda v: {"ops_per_s": f"{v:.0f}", "wall_s": "1"})
    for k, (label, vals) in enumerate(workloads):
        for rep in range(opts["reps"]):
            for a, m in vals.items():
                cell(opts["blocks"] + k, label, "classic", a, rep, float(m),
                     lambda v: {"ops_per_s": f"{v:.0f}", "wall_s": "1"})
    for k, (label, unit, hib, vals) in enumerate(programs):
        for rep in range(opts["reps"]):
            for a, m in vals.items():
                cell(opts["blocks"] + len(workloads) + k, label, "program", a, rep, float(m),
                     lambda v: {"metric": f"{v:.6g}", "metric_unit": unit,
                                "higher_is_better": hib, "wall_s": "2"})
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "results.csv"), "w") as f:
        f.write(("# nanobench results v1\n" if opts["legacy"] else "") + ",".join(COLS) + "\n")
        for r in rows:
            f.write(",".join(str(r[c]) for c in COLS) + "\n")
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump({"schema": 1, "results_schema": 1, "matrix": "synth", "matrix_hash": "synth", "status": "complete",
                   "cells": [r["cell_key"] for r in rows]}, f, indent=2)


if __name__ == "__main__":
    main(sys.argv[1:])
