# common.gp - what every nanobench plot shares; each template loads it first.
#
# Data files are tab-separated with '#' comment lines (plots/plot_data.h).
# A missing value is the word NaN: gnuplot treats it as undefined, so the
# point is not drawn and a line through it breaks (a gap, never a zero).
# `set datafile missing` is deliberately not used: gnuplot 5.4 joins a line
# across a "missing" point, which would hide a failed cell.
#
# Series come as word lists set by the C side (PREFIXtitles, PREFIXcolors,
# PREFIXdashes, PREFIXpoints, one word per series; titles quoted).
set datafile separator tab
set encoding utf8
set border 3 lc rgb '#333333'
set tics nomirror out scale 0.6 textcolor rgb '#222222'
set grid ytics lc rgb '#e3e3e3' lw 1 dt 1
set key noautotitle
set key textcolor rgb '#222222'
set title textcolor rgb '#000000'

# The i-th style of a series list named by its prefix.
s_color(prefix, i) = word(value(prefix.'colors'), i)
s_dash(prefix, i) = int(word(value(prefix.'dashes'), i))
s_point(prefix, i) = int(word(value(prefix.'points'), i))
s_title(prefix, i) = word(value(prefix.'titles'), i)

# Under every title of a run folder's plot: which machine and matrix the
# numbers come from (the compare plot has neither).
subtitle = exists('machine') ? sprintf('%s, matrix %s', machine, matrix) : ''

# x axis of thread counts (a word list): log2 when they span 4x or more,
# ticks exactly at the counts. Points stay at their thread count (never
# nudged sideways: that would bend the lines, and the ideal diagonal of the
# scaling plot would no longer pass through them); the series differ by
# point shape, so coinciding points still show.
thr_lo(list) = real(word(list, 1))
thr_hi(list) = real(word(list, words(list)))
thr_log(list) = thr_hi(list) >= 4 * thr_lo(list)
