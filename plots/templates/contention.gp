# contention.gp - nano's contention against threads: CAS retries per call
# (left) and the share of frees that went to a magazine other than the
# block's owner (right), one line per workload and nano setting. A line has
# its allocator's fixed colour (nano red, nano-rseq orange; a setting
# dashed) and its workload's point shape; the key runs under both panels,
# in as many rows as it needs, and the picture grows to fit it.
# Markers of later settings are smaller (r_sizes), so equal values nest
# instead of hiding one another. Data: r_file / f_file (blocks per line),
# r_ and f_ series, r_threads, r_sizes / f_sizes, title.
load nb_tpldir.'/common.gp'

keycols = r_n <= 4 ? r_n : (r_n <= 12 ? 3 : 4)
keyrows = ceil(real(r_n) / keycols)
keyh = 30 + 24 * keyrows                 # pixels of the key
height = 730 + keyh < 800 ? 800 : 730 + keyh
eval sprintf(nb_terminal, 1200, height)
keyfrac = real(keyh) / height

set multiplot title sprintf("%s\n%s", title, subtitle) font ',13'
axis_threads = r_threads
load nb_tpldir.'/threads_axis.gp'
# autoscaled, except that all-zero retries (no contention at all, the
# usual case at one thread) would be an empty range: then [0:0.01]
stats r_file using 2 nooutput
set yrange [0 : (STATS_max > 0 ? STATS_max * 1.1 : 0.01)]
set key off

set size 0.5, 0.88 - keyfrac
set origin 0.0, keyfrac
set title 'failed CAS attempts per call (median)' font ',11'
set ylabel 'retries / call'
plot for [i = 1:r_n] r_file index (i - 1) using 1:2 \
	with linespoints lw 2 ps real(word(r_sizes, i)) lc rgb s_color('r_', i) dt s_dash('r_', i) pt s_point('r_', i)

set origin 0.5, keyfrac
set title 'remote frees / frees (median)' font ',11'
set ylabel 'share of frees'
set yrange [0:1.05]
plot for [i = 1:f_n] f_file index (i - 1) using 1:2 \
	with linespoints lw 2 ps real(word(f_sizes, i)) lc rgb s_color('f_', i) dt s_dash('f_', i) pt s_point('f_', i)

# the key, across the bottom
set size 1.0, keyfrac
set origin 0.0, 0.0
unset border
unset tics
unset grid
unset xlabel
unset ylabel
unset logscale x
unset title
set lmargin 2
set rmargin 2
set tmargin 0
set bmargin 0
set xrange [0:1]
set yrange [0:1]
set key center center horizontal maxcols keycols samplen 3 spacing 1.2 width 2 font ',10'
plot -1 notitle, for [i = 1:r_n] keyentry with linespoints lw 2 lc rgb s_color('r_', i) dt s_dash('r_', i) \
	pt s_point('r_', i) title s_title('r_', i)
unset multiplot
