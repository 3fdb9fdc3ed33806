# contention.gp - nano's contention against threads: CAS retries per call
# (left) and the share of frees that went to a magazine other than the
# block's owner (right), one line per workload and nano setting; the key at
# the right. Data: r_file / f_file (blocks per line), r_ and f_ series,
# r_threads, title.
load nb_tpldir.'/common.gp'

set multiplot title sprintf("%s\n%s", title, subtitle) font ',13'
axis_threads = r_threads
load nb_tpldir.'/threads_axis.gp'
# autoscaled, except that all-zero retries (no contention at all, the
# usual case at one thread) would be an empty range: then [0:0.01]
stats r_file using 2 nooutput
set yrange [0 : (STATS_max > 0 ? STATS_max * 1.1 : 0.01)]
set key off

set size 0.40, 0.88
set origin 0.0, 0.0
set title 'failed CAS attempts per call (median)' font ',11'
set ylabel 'retries / call'
plot for [i = 1:r_n] r_file index (i - 1) using (nudge($1, i, r_n, axis_threads)):2 \
	with linespoints lw 2 ps 1.2 lc rgb s_color('r_', i) dt s_dash('r_', i) pt s_point('r_', i)

set origin 0.40, 0.0
set title 'remote frees / frees (median)' font ',11'
set ylabel 'share of frees'
set yrange [0:1.05]
plot for [i = 1:f_n] f_file index (i - 1) using (nudge($1, i, f_n, axis_threads)):2 \
	with linespoints lw 2 ps 1.2 lc rgb s_color('f_', i) dt s_dash('f_', i) pt s_point('f_', i)

# the key
set size 0.20, 0.88
set origin 0.80, 0.0
unset border
unset tics
unset grid
unset xlabel
unset ylabel
unset logscale x
set title ''
set xrange [0:1]
set yrange [0:1]
set key center left vertical samplen 3 spacing 1.3 font ',10'
plot -1 notitle, for [i = 1:r_n] keyentry with linespoints lw 2 lc rgb s_color('r_', i) dt s_dash('r_', i) \
	pt s_point('r_', i) title s_title('r_', i)
unset multiplot
