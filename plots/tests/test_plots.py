#!/usr/bin/env python3
"""test_plots.py CASE - tests of the plot stage (issue 6); see meson.build.

The fixtures under fixtures/ are run folders made by real `nanobench matrix`
runs on the development machine (their matrix.ini says what was run):
  small     glibc and nano, threadtest and xmalloc, 1 and 2 threads, 3 reps
  failures  threadtest timing out everywhere, a program failing at 2 threads
            and under jemalloc, jemalloc and glibc without nano counters
  programs  z3, lua, redis (its figure a metric: requests/s) and a program
            failing under jemalloc, glibc nano nano-rseq jemalloc, 2 reps
Every number checked here is computed again from results.csv with Python's
own code, not read back from the C side.
"""
import csv
import hashlib
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

NB = os.environ["NB"]
TOOL = os.environ["PLOT_TOOL"]
TPL = os.environ["TEMPLATES"]
FIX = os.environ["FIXTURES"]
FAILED = []


def check(cond, msg):
    if not cond:
        FAILED.append(msg)
        print("FAIL:", msg, file=sys.stderr)


# ---------------------------------------------------------------------------
# Reading results.csv and the data files
# ---------------------------------------------------------------------------

def rows_of(folder):
    lines = open(os.path.join(folder, "results.csv")).read().splitlines()
    assert lines[0] == "# nanobench results v1"
    return list(csv.DictReader(lines[1:]))


def num(s):
    try:
        v = float(s)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def quantile(xs, q):
    xs = sorted(xs)
    pos = q * (len(xs) - 1)
    i = int(pos)
    f = pos - i
    return xs[i] * (1 - f) + xs[i + 1] * f if i + 1 < len(xs) else xs[-1]


def median(xs):
    xs = [x for x in xs if x is not None]
    return quantile(xs, 0.5) if xs else None


def variant(r):
    name = r["alloc_label"]
    if r["req_hyper_shift"] not in ("", "default"):
        name += " hs=" + r["req_hyper_shift"]
    if r["req_map"] not in ("", "default"):
        name += " map=" + r["req_map"]
    return name


def speed(r):
    if r["req_size_dist"] == "program":
        w = num(r["wall_s"])
        return 1 / w if w else None
    return num(r["ops_per_s"])


def cells(rows):
    """(workload, dist, variant, threads) -> ([ok rows], failed count)"""
    out = {}
    for r in rows:
        k = (r["wl_label"], r["req_size_dist"], variant(r), int(r["threads"]))
        ok, bad = out.get(k, ([], 0))
        if r["cell_status"] == "ok" and speed(r) is not None:
            ok.append(r)
        else:
            bad += 1
        out[k] = (ok, bad)
    return out


def blocks(path):
    """A lines file: {series: [[fields]...]}."""
    out, cur = {}, None
    for line in open(path).read().splitlines():
        if line.startswith("# series: "):
            cur = line[len("# series: "):]
            out[cur] = []
        elif line and not line.startswith("#"):
            out[cur].append(line.split("\t"))
    return out


def bars(path):
    """A bars file: (column names, [[fields]...])."""
    lines = open(path).read().splitlines()
    head = [l for l in lines if l.startswith("# workload\t")][0][2:].split("\t")
    return head, [l.split("\t") for l in lines if l and not l.startswith("#")]


def hl(a, b):
    """Hodges-Lehmann ratio of speeds b over a: exp of the median of every
    log b - log a (the estimate summary.md and the bars use)."""
    return math.exp(median([math.log(y) - math.log(x) for x in a for y in b]))


def same(got, want, what):
    g = num(got)
    if want is None:
        check(got == "NaN", f"{what}: expected NaN (a gap), got {got}")
    else:
        check(g is not None and abs(g - want) <= 1e-8 * max(1.0, abs(want)),
              f"{what}: expected {want!r}, got {got}")


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------

def fixture(name, tmp):
    d = os.path.join(tmp, name)
    shutil.copytree(os.path.join(FIX, name), d)
    return d


def plot(folder, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([NB, "plot", folder], capture_output=True, text=True, env=e)


def plot_ok(folder):
    p = plot(folder)
    check(p.returncode == 0 and p.stderr == "", f"nanobench plot {folder}: exit {p.returncode}: {p.stderr}")
    return p


def snapshot(path):
    """Every file and folder under path with a hash of each file."""
    out = {}
    if not os.path.exists(path):
        return None
    for root, dirs, files in os.walk(path):
        for d in dirs:
            out[os.path.relpath(os.path.join(root, d), path) + "/"] = ""
        for f in files:
            p = os.path.join(root, f)
            out[os.path.relpath(p, path)] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return out


def png_size(path):
    b = open(path, "rb").read(33)
    if b[:8] != b"\x89PNG\r\n\x1a\n" or b[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", b[16:24])


def svg_size(path):
    root = ET.parse(path).getroot()
    if not root.tag.endswith("svg"):
        return None
    return int(float(root.get("width"))), int(float(root.get("height")))


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

def case_data(tmp):
    d = fixture("small", tmp)
    plot_ok(d)
    rows = rows_of(d)
    c = cells(rows)
    data = os.path.join(d, "plots", "data")
    for wl in ("threadtest", "xmalloc"):
        b = blocks(os.path.join(data, f"thr_{wl}_nano.tsv"))
        check(list(b) == ["glibc", "nano"], f"{wl}: series {list(b)}, expected glibc, nano")
        for name, lines in b.items():
            check([l[0] for l in lines] == ["1", "2"], f"{wl} {name}: thread rows {[l[0] for l in lines]}")
            for l in lines:
                ok, bad = c[(wl, "nano", name, int(l[0]))]
                s = [speed(r) for r in ok]
                what = f"thr_{wl} {name} t{l[0]}"
                same(l[1], median(s), what + " median")
                same(l[2], min(s), what + " min")
                same(l[3], max(s), what + " max")
                same(l[4], quantile(s, 0.25), what + " q1")
                same(l[5], quantile(s, 0.75), what + " q3")
                check(l[6] == str(len(s)) and l[7] == str(bad), f"{what}: n {l[6]}/{l[7]}")
        sp = blocks(os.path.join(data, f"spd_{wl}_nano.tsv"))
        for name, lines in sp.items():
            one = median([speed(r) for r in c[(wl, "nano", name, 1)][0]])
            for l in lines:
                t = int(l[0])
                same(l[1], median([speed(r) for r in c[(wl, "nano", name, t)][0]]) / one,
                     f"spd_{wl} {name} t{t}")

    def med(wl, name, col, t=2):
        return median([num(r[col]) for r in c[(wl, "nano", name, t)][0]])

    def speeds(wl, name, t=2):
        return [speed(r) for r in c[(wl, "nano", name, t)][0]]

    # ratio bars: per series ratio, lo, hi, verdict, label position
    head, rel = bars(os.path.join(data, "bars_relative_glibc_nano.tsv"))
    want = ["workload", "threads"] + [f"{n}{x}" for n in ("glibc", "nano")
                                      for x in ("", " lo", " hi", " verdict", " label_at")]
    check(head == want, f"relative_glibc header {head}")
    check([r[0] for r in rel] == ["threadtest", "xmalloc"], "relative_glibc: workloads sorted")
    for r in rel:
        check(r[1] == "2", f"relative_glibc {r[0]}: at {r[1]} threads, expected the largest (2)")
        same(r[2], 1.0, f"relative_glibc {r[0]} glibc")
        check(r[5] == "5", f"relative_glibc {r[0]}: glibc is the reference (5), got {r[5]}")
        same(r[7], hl(speeds(r[0], "glibc"), speeds(r[0], "nano")), f"relative_glibc {r[0]} nano")
        # 3 repetitions a side: no 95% interval, no verdict
        check(r[8:10] == ["NaN", "NaN"] and r[10] == "4", f"relative_glibc {r[0]} nano: {r[8:11]}, "
              "expected no interval (n too small) and undecided")
        print(f"known row: {r[0]} at 2 threads, nano / glibc = {r[7]}")
    head, best = bars(os.path.join(data, "bars_relative_best_nano.tsv"))
    for r in best:
        m = {n: med(r[0], n, "ops_per_s") for n in ("glibc", "nano")}
        top = max(m, key=m.get)
        for i, n in ((2, "glibc"), (7, "nano")):
            if n == top:
                check(r[i] == "1" and r[i + 3] == "5", f"relative_best {r[0]} {n}: the best, got {r[i:i + 4]}")
            else:
                same(r[i], hl(speeds(r[0], top), speeds(r[0], n)), f"relative_best {r[0]} {n}")
    head, rss = bars(os.path.join(data, "bars_rss_nano.tsv"))
    check("peak RSS - RSS before set-up" in open(os.path.join(data, "bars_rss_nano.tsv")).read(),
          "rss data: says the baseline is subtracted")
    for r in rss:
        for i, n in ((2, "glibc"), (3, "nano")):
            ok = c[(r[0], "nano", n, 2)][0]
            same(r[i], median([num(x["peak_rss_kib"]) - num(x["base_rss_kib"]) for x in ok]),
                 f"rss {r[0]} {n} (peak - base)")
    head, lat = bars(os.path.join(data, "bars_latency_nano.tsv"))
    check(head[2:] == ["glibc p50", "glibc p99", "glibc p99.9", "nano p50", "nano p99", "nano p99.9"],
          f"latency header {head}")
    for r in lat:
        for i, (n, col) in enumerate([(n, col) for n in ("glibc", "nano")
                                      for col in ("p50_ns", "p99_ns", "p999_ns")]):
            same(r[2 + i], med(r[0], n, col), f"latency {r[0]} {n} {col}")
    ret = blocks(os.path.join(data, "cnt_retries_nano.tsv"))
    rem = blocks(os.path.join(data, "cnt_remote_nano.tsv"))
    check(list(ret) == ["threadtest", "xmalloc"], f"contention lines {list(ret)}: nano only, per workload")
    for wl in ("threadtest", "xmalloc"):
        for l in ret[wl]:
            same(l[1], med(wl, "nano", "nano_retries_per_op", int(l[0])), f"retries {wl} t{l[0]}")
        for l in rem[wl]:
            ok = c[(wl, "nano", "nano", int(l[0]))][0]
            want = median([num(r["nano_remote_frees"]) / (num(r["total_ops"]) / 2) for r in ok])
            same(l[1], want, f"remote-free share {wl} t{l[0]}")


SMALL_PICTURES = ["throughput_nano", "relative_glibc_nano", "relative_best_nano", "scaling_nano",
                  "rss_nano", "latency_nano", "contention_nano", "throughput_threadtest_nano",
                  "throughput_xmalloc_nano"]
NANO_RGB = "rgb(214,  39,  40)"
GLIBC_RGB = "rgb( 77,  77,  77)"


def case_outputs(tmp):
    d = fixture("small", tmp)
    plot_ok(d)
    files = sorted(f for f in os.listdir(os.path.join(d, "plots")) if f != "data")
    want = sorted([p + ext for p in SMALL_PICTURES for ext in (".png", ".svg", ".gp")])
    check(files == want, f"pictures {files}, expected {want}")
    check(not [f for f in os.listdir(d) if f.startswith(".plots-tmp")], "temporary folder left behind")
    for p in SMALL_PICTURES:
        png = os.path.join(d, "plots", p + ".png")
        svg = os.path.join(d, "plots", p + ".svg")
        check(png_size(png) == (1200, 800), f"{p}.png: size {png_size(png)}, expected a 1200x800 PNG")
        try:
            size = svg_size(svg)
        except ET.ParseError as e:
            size = f"not XML: {e}"
        check(size == (1200, 800), f"{p}.svg: {size}, expected <svg> 1200x800")
        text = open(svg).read()
        check(NANO_RGB in text, f"{p}.svg: nano is not drawn in nano's colour")
        if p != "contention_nano":     # contention: nano's settings only
            check(GLIBC_RGB in text, f"{p}.svg: glibc is not drawn in glibc's colour")
    # the library entry point does the same, quietly
    d2 = fixture("small", os.path.join(tmp, "lib"))
    p = subprocess.run([TOOL, "folder", d2, TPL], capture_output=True, text=True)
    check(p.returncode == 0 and p.stderr == "", f"plot_run_folder: {p.returncode} {p.stderr}")
    check(sorted(os.listdir(os.path.join(d2, "plots"))) == sorted(files + ["data"]),
          "plot_run_folder and nanobench plot draw the same pictures")


def case_summary(tmp):
    d = fixture("small", tmp)
    check(not os.path.exists(os.path.join(d, "summary.md")), "fixture has no summary.md")
    plot_ok(d)
    s1 = open(os.path.join(d, "summary.md")).read()
    check("## Tables" in s1 and "### threadtest, nano, 2 threads" in s1, "the runner's tables are kept")
    check(s1.count("## Plots") == 1, "one Plots section")
    check(s1.index("## Tables") < s1.index("## Plots"), "pictures come under the tables")
    for p in SMALL_PICTURES:
        check(f"](plots/{p}.png)" in s1, f"summary.md embeds {p}.png")
        check(f"](plots/{p}.svg)" in s1, f"summary.md links {p}.svg")
    for line in s1.splitlines():
        if line.startswith("!["):
            target = line[line.index("](") + 2:-1]
            check(os.path.exists(os.path.join(d, target)), f"summary.md links a missing {target}")
    plot_ok(d)
    s2 = open(os.path.join(d, "summary.md")).read()
    check(s1 == s2, "a second nanobench plot changes summary.md (not idempotent)")
    # text a user added above the section stays; the section is replaced
    head = s1[:s1.index("<!-- nanobench plot")]
    with open(os.path.join(d, "summary.md"), "w") as f:
        f.write(head + "\nA note of mine.\n\n" + s1[s1.index("<!-- nanobench plot"):])
    plot_ok(d)
    s3 = open(os.path.join(d, "summary.md")).read()
    check("A note of mine." in s3 and s3.count("## Plots") == 1, "a rerun keeps text above the section")
    # stale pictures of an earlier run go, others' files stay
    open(os.path.join(d, "plots", "rss_old.png"), "wb").write(b"x")
    open(os.path.join(d, "plots", "mine.txt"), "w").write("x")
    plot_ok(d)
    check(not os.path.exists(os.path.join(d, "plots", "rss_old.png")), "a stale picture is left")
    check(os.path.exists(os.path.join(d, "plots", "mine.txt")), "a file not ours was removed")


def case_failures(tmp):
    d = fixture("failures", tmp)
    plot_ok(d)
    data = os.path.join(d, "plots", "data")
    c = cells(rows_of(d))
    # every thread count with no successful repetition is NaN, never 0
    for f in os.listdir(data):
        if f.startswith(("thr_", "spd_", "cnt_")):
            for name, lines in blocks(os.path.join(data, f)).items():
                for l in lines:
                    if f.startswith("thr_") and l[6] == "0":
                        check(l[1:6] == ["NaN"] * 5, f"{f} {name} t{l[0]}: failed cell drawn as {l[1:6]}")
                    check(l[1] != "0" or f.startswith("cnt_"), f"{f} {name}: a zero")
    gappy = blocks(os.path.join(data, "thr_gappy_program.tsv"))
    check(list(gappy) == ["glibc", "nano"], f"gappy series {list(gappy)}: jemalloc (all failed) must be absent")
    for name, lines in gappy.items():
        ok = c[("gappy", "program", name, 1)][0]
        same(lines[0][1], median([num(r["wall_s"]) for r in ok]), f"gappy {name} t1 (wall seconds)")
        check(lines[1][1] == "NaN" and lines[1][6:] == ["0", "2"], f"gappy {name} t2: {lines[1]}")
    check(blocks(os.path.join(data, "thr_threadtest_nano.tsv")) == {}, "threadtest: no series")
    head, rel = bars(os.path.join(data, "bars_relative_glibc_nano.tsv"))
    tt = [r for r in rel if r[0] == "threadtest"][0]
    check(tt[2:] == ["NaN"] * (len(head) - 2), f"threadtest bars {tt}: gaps expected")
    head, rel = bars(os.path.join(data, "bars_relative_glibc_program.tsv"))
    check(rel[0][1] == "1", "program bars at the largest thread count with a successful cell (1)")
    ret = blocks(os.path.join(data, "cnt_retries_nano.tsv"))
    check(list(ret) == ["xmalloc"], f"contention lines {list(ret)}: only nano's xmalloc has counters")
    pics = os.listdir(os.path.join(d, "plots"))
    check("throughput_threadtest_nano.png" not in pics, "no picture for a panel with no successful cell")
    check("latency_program.png" not in pics and "contention_program.png" not in pics,
          "programs have no latency or counters: those plots are left out")
    s = open(os.path.join(d, "summary.md")).read()
    check("Not drawn: throughput of threadtest (no successful cell)." in s, "summary names the empty panel")
    check("Not drawn: latency" in s, "summary says why latency is left out for programs")
    check("Gaps (every repetition failed): glibc at 2 threads; nano at 2 threads; jemalloc at 1, 2 threads."
          in s, "summary lists the gaps of the gappy program")


def expect_refusal(what, args, folder, env=None, word=None):
    before = snapshot(folder) if folder else None
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([NB, "plot"] + args, capture_output=True, text=True, env=e)
    lines = p.stderr.splitlines()
    check(p.returncode == 2, f"{what}: exit {p.returncode}, expected 2")
    check(len(lines) == 1 and lines[0].startswith("nanobench plot: "),
          f"{what}: stderr should be one 'nanobench plot: ' line, got {p.stderr!r}")
    check(p.stdout == "", f"{what}: stdout {p.stdout!r}")
    if word:
        check(word in p.stderr, f"{what}: message does not say '{word}': {p.stderr.strip()}")
    if folder:
        check(snapshot(folder) == before, f"{what}: the folder changed")
    print(f"{what}: {p.stderr.strip()}")


def with_csv(tmp, name, text):
    d = os.path.join(tmp, name)
    os.makedirs(d)
    shutil.copy(os.path.join(FIX, "small", "meta.json"), d)
    if text is not None:
        open(os.path.join(d, "results.csv"), "w").write(text)
    return d


def case_bad_input(tmp):
    good = open(os.path.join(FIX, "small", "results.csv")).read()
    lines = good.splitlines(True)
    expect_refusal("no such folder", [os.path.join(tmp, "nope")], None, word="no results.csv")
    expect_refusal("folder without results.csv", [with_csv(tmp, "empty", None)],
                   os.path.join(tmp, "empty"), word="no results.csv")
    d = with_csv(tmp, "schema", "# something else\n" + "".join(lines[1:]))
    expect_refusal("wrong first line", [d], d, word="# nanobench results v1")
    d = with_csv(tmp, "nohead", lines[0])
    expect_refusal("missing header", [d], d, word="header")
    d = with_csv(tmp, "badhead", lines[0] + lines[1].replace("ops_per_s", "ops_per_sec") + "".join(lines[2:]))
    expect_refusal("header without ops_per_s", [d], d, word="ops_per_s")
    d = with_csv(tmp, "norows", lines[0] + lines[1])
    expect_refusal("no rows", [d], d, word="no rows")
    rows = list(csv.reader(lines[1:]))
    st = rows[0].index("cell_status")
    out = [lines[0].rstrip("\n")]
    for i, r in enumerate(rows):
        if i:
            r[st] = "timeout"
        out.append(",".join('"' + f.replace('"', '""') + '"' if any(ch in f for ch in ',"\n') else f for f in r))
    d = with_csv(tmp, "allfailed", "\n".join(out) + "\n")
    expect_refusal("only failed cells", [d], d, word="no successful cell")
    # gnuplot missing: nothing on PATH
    d = fixture("small", os.path.join(tmp, "nognuplot"))
    expect_refusal("gnuplot not installed", [d], d, env={"PATH": "/nonexistent"}, word="gnuplot-nox")
    # a template that fails, over a folder that already has good pictures
    data = os.path.join(tmp, "data")
    shutil.copytree(TPL, os.path.join(data, "plots"))
    with open(os.path.join(data, "plots", "bars.gp"), "a") as f:
        f.write("plot no_such_variable\n")
    d = fixture("small", os.path.join(tmp, "badtpl"))
    plot_ok(d)
    expect_refusal("failing template", [d], d, env={"NANOBENCH_DATA": data}, word="bars.gp")
    d = fixture("small", os.path.join(tmp, "badtpl2"))
    expect_refusal("failing template, first run", [d], d, env={"NANOBENCH_DATA": data}, word="bars.gp")
    # usage
    expect_refusal("no folder", [], None, word="which run folder")
    expect_refusal("two folders", [d, d], None, word="one run folder")
    expect_refusal("unknown option", ["--frobnicate", d], None, word="--frobnicate")


def render(tpl_dir, name, out, *vars, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([TOOL, "render", tpl_dir, name, out] + list(vars), capture_output=True,
                          text=True, env=e)


def no_outputs(out, what):
    left = [f for f in os.listdir(os.path.dirname(out)) if f.startswith(os.path.basename(out))]
    check(left == [], f"{what}: files left behind: {left}")


def case_render(tmp):
    t = os.path.join(tmp, "tpl")
    os.makedirs(t)
    out = os.path.join(tmp, "out", "pic")
    os.makedirs(os.path.dirname(out))
    open(os.path.join(t, "vars.gp"), "w").write(
        "if (n != 3 || name ne \"it's \\\"quoted\\\"\" || words(list) != 2) { print 'bad vars'; exit }\n"
        "set title name\nplot x * n title list\n")
    p = render(t, "vars.gp", out, "n=3", "name=it's \"quoted\"", "list=\"a b\" c")
    check(p.returncode == 0 and p.stderr == "", f"render with variables: {p.returncode} {p.stderr}")
    check(png_size(out + ".png") == (1200, 800) and svg_size(out + ".svg") == (1200, 800),
          "render: default size 1200x800")
    script = open(out + ".gp").read() if os.path.exists(out + ".gp") else ""
    check("n=3;" in script and "plot x * n title list" in script,
          "render: the script gnuplot ran is kept beside the pictures, variables and template")
    # the kept script redraws the PNG by itself
    os.remove(out + ".png")
    p = subprocess.run(["gnuplot", "pic.gp"], cwd=os.path.dirname(out), capture_output=True, text=True)
    check(p.returncode == 0 and p.stderr == "" and png_size(out + ".png") == (1200, 800),
          f"gnuplot pic.gp redraws pic.png: {p.returncode} {p.stderr!r}")
    for f in (out + ".png", out + ".svg", out + ".gp"):
        os.remove(f)
    open(os.path.join(t, "size.gp"), "w").write("eval sprintf(nb_terminal, 640, 480)\nplot x\n")
    p = render(t, "size.gp", out)
    check(p.returncode == 0 and png_size(out + ".png") == (640, 480) and svg_size(out + ".svg") == (640, 480),
          f"a template sets its own size: {p.stderr} {png_size(out + '.png')}")
    for f in (out + ".png", out + ".svg", out + ".gp"):
        os.remove(f)
    open(os.path.join(tmp, "nan.tsv"), "w").write("1\tNaN\n2\tNaN\n")
    open(os.path.join(t, "warn.gp"), "w").write(f"set datafile missing NaN\nplot x, '{tmp}/nan.tsv' using 1:2\n")
    cases = [("a gnuplot warning", "warn.gp", {}, "warning"),
             ("a gnuplot error", "bad.gp", {}, "line 1"),
             ("a missing template", "nosuch.gp", {}, "nosuch.gp"),
             ("gnuplot not installed", "size.gp", {"PATH": "/nonexistent"}, "gnuplot-nox")]
    open(os.path.join(t, "bad.gp"), "w").write("plot no_such_thing\n")
    for what, name, env, word in cases:
        p = render(t, name, out, env=env)
        check(p.returncode == 2 and len(p.stderr.splitlines()) == 1 and word in p.stderr,
              f"render, {what}: exit {p.returncode}, {p.stderr!r} (expected one line with '{word}')")
        no_outputs(out, f"render, {what}")
    p = render(t, "size.gp", out, "1x=2")
    check(p.returncode == 2 and "1x=2" in p.stderr, f"render, bad variable name: {p.stderr!r}")


COMPARE = """# nanobench compare v1
block,variant,n_a,n_b,median_a,median_b,ratio,ci_lo,ci_hi,p_adj,verdict
xmalloc|nano|t10|compact,nano,5,5,100,120,1.2,1.1,1.3,0.01,faster
xmalloc|nano|t2|compact,jemalloc,5,5,100,90,0.9,0.85,0.95,0.02,slower
xmalloc|nano|t2|compact,nano,5,5,100,101,1.01,0.97,1.05,0.8,same
xmalloc|nano|t2|compact,glibc,5,5,100,100,1.0,0.98,1.02,0.9,same
larson|nano|t2|compact,nano,2,2,100,105,1.05,,,1,undecided
larson|nano|t2|compact,jemalloc,5,5,100,,,,,1,undecided
"""


def case_compare(tmp):
    src = os.path.join(tmp, "compare.csv")
    open(src, "w").write(COMPARE)
    out = os.path.join(tmp, "compare")
    p = subprocess.run([TOOL, "compare", src, TPL, out], capture_output=True, text=True)
    check(p.returncode == 0 and p.stderr == "", f"compare plot: {p.returncode} {p.stderr}")
    check(png_size(out + ".png") == (1200, 800), "compare.png 1200x800")
    check(svg_size(out + ".svg") == (1200, 800), "compare.svg 1200x800")
    b = blocks(out + ".tsv")
    check(list(b) == ["glibc", "nano", "jemalloc"], f"compare series {list(b)} (legend order, ratio needed)")
    # blocks sorted: larson t2 (x 0-1), then xmalloc t2 (3-5) before t10 (7), numerically; a
    # free slot between blocks; a row without a ratio keeps its slot, empty
    check(b["nano"] == [["0", "1.05", "NaN", "NaN", "4"], ["4", "1.01", "0.97", "1.05", "3"],
                        ["7", "1.2", "1.1", "1.3", "1"]], f"compare nano rows {b['nano']}")
    check(b["jemalloc"] == [["5", "0.9", "0.85", "0.95", "2"]], f"compare jemalloc rows {b['jemalloc']}")
    # compare.csv as it is written now, the header first: the same picture
    plain = os.path.join(tmp, "plain.csv")
    open(plain, "w").write(COMPARE.split("\n", 1)[1])
    p = subprocess.run([TOOL, "compare", plain, TPL, os.path.join(tmp, "plain")], capture_output=True,
                       text=True)
    check(p.returncode == 0 and blocks(os.path.join(tmp, "plain.tsv")) == b,
          f"compare plot of a compare.csv without the schema line: {p.returncode} {p.stderr}")
    bad = os.path.join(tmp, "bad.csv")
    open(bad, "w").write(COMPARE.replace("compare v1", "compare v9"))
    p = subprocess.run([TOOL, "compare", bad, TPL, os.path.join(tmp, "bad")], capture_output=True, text=True)
    check(p.returncode == 2 and "compare v1" in p.stderr, f"bad compare.csv: {p.stderr!r}")
    check(not os.path.exists(os.path.join(tmp, "bad.png")), "bad compare.csv: no picture")



# ---------------------------------------------------------------------------
# The scripts gnuplot ran, and the pictures' promises
# ---------------------------------------------------------------------------

FIXED = {"glibc": "#4d4d4d", "nano": "#d62728", "nano-rseq": "#ff7f0e", "jemalloc": "#1f77b4",
         "mimalloc": "#2ca02c", "tcmalloc": "#9467bd", "tbb": "#17becf", "scudo": "#e377c2"}


def script_vars(path):
    """The NAME=VALUE; lines plot_render put at the top of a script."""
    out = {}
    for line in open(path).read().splitlines():
        if "=" in line and line.endswith(";") and line[0].isalpha():
            k, v = line[:-1].split("=", 1)
            out[k] = v
    return out


def words(v):
    return [w.strip('"') for w in v.strip("'").split('" "')]


def check_ratio_script(path, what):
    text = open(path).read()
    v = script_vars(path)
    check("set logscale y" in text, f"{what}: no log y axis")
    lo, hi = float(v.get("ylo", "nan")), float(v.get("yhi", "nan"))
    check(abs(lo * hi - 1) < 1e-6, f"{what}: y axis [{lo}, {hi}] is not centred on 1")
    check("with vectors heads" in text or "yerrorbars" in text, f"{what}: no error bars")
    names, colors = words(v.get("s_titles", "")), words(v.get("s_colors", ""))
    for n, col in zip(names, colors):
        if n in FIXED:
            check(col == FIXED[n], f"{what}: {n} drawn in {col}, its fixed colour is {FIXED[n]}")
    return names, lo, hi


def synth(tmp, name, *args):
    d = os.path.join(tmp, name)
    subprocess.run([sys.executable, os.environ["SYNTH"], d] + list(args), check=True)
    return d


def case_scripts(tmp):
    # every allocator nanobench knows by name has a fixed colour of its own,
    # in legend order (res_allocs.h's list is the order)
    out = subprocess.run([TOOL, "styles"], capture_output=True, text=True, check=True).stdout
    *names, legend = out.splitlines()
    pairs = [w.split(" ", 1) for w in legend.split(", ")]
    check([n for n, _ in pairs] == names, f"legend {legend} is not every allocator of {names}")
    check(len({c for _, c in pairs}) == len(pairs), f"legend {legend}: a colour twice")
    check(names[:len(FIXED)] == list(FIXED), f"allocators {names}: the legend order changed")
    # 8 allocators, 6 repetitions (the presets' count), nano twice as fast
    # as glibc on larson: a decided bar with its interval, on a log axis
    d = synth(tmp, "s8", "--reps", "6", "--blocks", "2", "--change", "larson:nano:2")
    plot_ok(d)
    pics = os.path.join(d, "plots")
    for p in ("relative_glibc_classic", "relative_best_classic"):
        names, lo, hi = check_ratio_script(os.path.join(pics, p + ".gp"), p)
        check(names == list(FIXED), f"{p}: series {names}")
        check(hi > 2.2, f"{p}: the 2x bar and its label do not fit below {hi}")
    head, rows = bars(os.path.join(pics, "data", "bars_relative_glibc_classic.tsv"))
    lar = dict(zip(head, rows[[r[0] for r in rows].index("larson")]))
    r, a, b = num(lar["nano"]), num(lar["nano lo"]), num(lar["nano hi"])
    check(r is not None and 1.8 < r < 2.2, f"larson nano / glibc = {r}, expected about 2")
    check(a is not None and b is not None and a < r < b, f"larson nano: interval [{a}, {b}] around {r}")
    check(lar["nano verdict"] == "1", f"larson nano: verdict {lar['nano verdict']}, expected 1 (faster)")
    check(num(lar["nano label_at"]) > b, "larson nano: the label is not past the whisker")
    # the contention and compare pictures keep the fixed colours too
    small = fixture("small", tmp)
    plot_ok(small)
    v = script_vars(os.path.join(small, "plots", "contention_nano.gp"))
    check(set(words(v["r_colors"])) == {FIXED["nano"]}, f"contention: nano lines in {v['r_colors']}")
    check("nudge(" not in open(os.path.join(small, "plots", "scaling_nano.gp")).read(),
          "scaling: points are shifted sideways")
    b2 = synth(tmp, "s8b", "--reps", "6", "--blocks", "2", "--change", "larson:nano:2", "--seed", "2")
    out = os.path.join(tmp, "cmp")
    p = subprocess.run([NB, "compare", d, b2, "--out", out], capture_output=True, text=True)
    check(p.returncode == 0 and "drew" in p.stderr, f"compare --out: {p.returncode} {p.stderr}")
    check(png_size(os.path.join(out, "compare.png")) == (1200, 800), "compare --out draws compare.png")
    if os.path.exists(os.path.join(out, "compare.gp")):
        check_ratio_script(os.path.join(out, "compare.gp"), "compare.gp")
    else:
        check(False, "compare --out: no compare.gp")


def rewrite(folder, change):
    """Apply change(row) to every row of folder/results.csv."""
    path = os.path.join(folder, "results.csv")
    lines = open(path).read().splitlines(True)
    rows = list(csv.DictReader(lines[1:]))
    for r in rows:
        change(r)
    with open(path, "w", newline="") as f:
        f.write(lines[0])
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def case_honest(tmp):
    # p50 = 0 (at the timer's floor) is said, not dropped from the log axis
    d = fixture("small", os.path.join(tmp, "floor"))
    rewrite(d, lambda r: r.update(p50_ns="0") if r["alloc_label"] == "nano" else None)
    plot_ok(d)
    head, lat = bars(os.path.join(d, "plots", "data", "bars_latency_nano.tsv"))
    check(all(r[head.index("nano p50")] == "0" for r in lat), "latency data keeps p50 = 0")
    text = open(os.path.join(d, "plots", "latency_nano.gp")).read()
    v = script_vars(os.path.join(d, "plots", "latency_nano.gp"))
    check("below timer resolution" in text, "latency: no 'below timer resolution' key")
    check(abs(float(v.get("timer_res", "0")) - 10.015) < 1e-9, f"latency: timer_res {v.get('timer_res')}")
    # a fixed-work workload is drawn in seconds, lower is better
    d = fixture("small", os.path.join(tmp, "fixed"))
    rewrite(d, lambda r: r.update(end="natural") if r["wl_label"] == "threadtest" else None)
    plot_ok(d)
    c = cells(rows_of(d))
    f = os.path.join(d, "plots", "data", "thr_threadtest_nano.tsv")
    check("# unit: seconds, lower is better" in open(f).read(), "fixed work: data not in seconds")
    for name, lines in blocks(f).items():
        for l in lines:
            ok = c[("threadtest", "nano", name, int(l[0]))][0]
            same(l[1], median([num(r["wall_s"]) for r in ok]), f"fixed work {name} t{l[0]}: wall s")
    v = script_vars(os.path.join(d, "plots", "throughput_nano.gp"))
    units = {v[k]: v[k.replace("unit", "lower")] for k in v if k.endswith("_unit")}
    check(units == {"'seconds'": "1", "'M calls/s'": "0"}, f"panels' units {units}")
    s = open(os.path.join(d, "summary.md")).read()
    check("| Mops/s (median) |" in s and " M |" not in s, "summary.md: Mops/s columns hold numbers")



def program_speed(r):
    """A program row's speed: its metric (inverted when lower is better), or
    1 / wall_s."""
    m = num(r.get("metric"))
    if m:
        return m if r.get("higher_is_better") != "0" else 1 / m
    w = num(r["wall_s"])
    return 1 / w if w else None


def case_programs(tmp):
    d = fixture("programs", tmp)
    plot_ok(d)
    rows = [r for r in rows_of(d) if r["cell_status"] == "ok"]
    progs = list(dict.fromkeys(r["wl_label"] for r in rows_of(d)))
    allocs = [a for a in dict.fromkeys(r["alloc_label"] for r in rows_of(d)) if a != "glibc"]
    med = {}
    for r in rows:
        k = (r["wl_label"], r["alloc_label"])
        s, m = med.get(k, ([], []))
        s.append(program_speed(r))
        m.append(num(r["peak_rss_kib"]))
        med[k] = (s, m)
    summary = open(os.path.join(d, "summary.md")).read()
    check("## Programs against glibc" in summary, "summary.md has the programs section")
    for kind, col in (("time", 0), ("rss", 1)):
        head, data = bars(os.path.join(d, "plots", "data", f"bars_programs_{kind}.tsv"))
        check(head[2:] == allocs, f"{kind}: series {head[2:]} != {allocs}")
        check([x[0] for x in data] == progs + ["geometric mean"], f"{kind}: groups {[x[0] for x in data]}")
        logs = {a: [] for a in allocs}
        for i, p in enumerate(progs):
            g = median(med[(p, "glibc")][col])
            for j, a in enumerate(allocs):
                v = median(med[(p, a)][col]) if (p, a) in med else None
                want = None if v is None else (g / v if kind == "time" else v / g)
                same(data[i][2 + j], want, f"{kind} of {p} under {a}")
                if want:
                    logs[a].append(math.log(want))
        for j, a in enumerate(allocs):
            want = math.exp(sum(logs[a]) / len(logs[a]))
            same(data[-1][2 + j], want, f"{kind} geometric mean of {a}")
            cell = f"**{want:.2f}**" + (f" ({len(logs[a])} of {len(progs)})" if len(logs[a]) < len(progs) else "")
            check(cell in summary, f"summary.md lacks {kind} geometric mean {cell} of {a}")
        check(os.path.exists(os.path.join(d, "plots", f"programs_{kind}.png")), f"programs_{kind}.png drawn")
        check(f"](plots/programs_{kind}.png)" in summary, f"summary.md shows programs_{kind}.png")
    check("| flaky | " in summary and "failed |" in summary, "a failed program is 'failed' in the table")


def main():
    case = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="nb-plots-") as tmp:
        globals()["case_" + case](tmp)
    if FAILED:
        print(f"{len(FAILED)} failure(s)", file=sys.stderr)
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
