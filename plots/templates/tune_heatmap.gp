# tune_heatmap.gp - `nanobench tune`: each nano setting's throughput on each
# workload, relative to the faithful default (1.0), as a heatmap.
#
# Data (runners/run_tune_report.c writes it): tune_heatmap.dat, a header row
# "setting WL1 WL2 ... geomean", then one row per setting, the default first:
# its label, then median throughput / the default's per workload, then the
# geometric mean over the workloads; -1 where nothing was measured (shown
# blank, labelled "not measured").
#
# Variables (plot_render sets them; the terminal and output are its job):
#   datafile    the data file
#   plot_title  the title (machine and CPU count)
#   nrows       settings (rows)
#   ncols       workloads + 1 (the geomean column)
#   span        the largest |ratio - 1| (at least 0.02): the colour scale runs
#               from 1 - span (red, slower) through 1 (white) to 1 + span
#               (blue, faster), so equal distances from the default look alike

set title plot_title noenhanced
set xlabel "workload (last column: geometric mean)" noenhanced
set ylabel "setting (NANO_HYPER_SHIFT / NANO_MAG_MAP)" noenhanced
set cblabel "throughput / faithful default"
set palette defined (0 '#b2182b', 0.5 '#f7f7f7', 1 '#2166ac')
set cbrange [1 - span : 1 + span]
set xrange [-0.5 : ncols - 0.5]
set yrange [nrows - 0.5 : -0.5]
set tics scale 0 noenhanced
set border 0
set key off
set lmargin 22

plot datafile matrix rowheaders columnheaders using 1:2:($3 < 0 ? NaN : $3) with image, \
     '' matrix rowheaders columnheaders \
        using 1:2:($3 < 0 ? "not measured" : sprintf("%.3f", $3)) with labels font ",11"
