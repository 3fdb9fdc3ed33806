# latency.gp - sampled call latency per workload and allocator, log scale:
# for each allocator a stroke from p50 to p99.9 with a marker at each of
# p50 (open circle), p99 (square) and p99.9 (triangle).
#
# Data: datafile, rows "workload<TAB>threads<TAB>" then p50, p99, p99.9 per
# series (ns); s_ series; ngroups, groups, threads_note, title.
load nb_tpldir.'/common.gp'
load nb_tpldir.'/groups_axis.gp'

set title sprintf("%s %s\n%s", title, threads_note, subtitle) font ',13'
set key outside bottom center horizontal samplen 2 spacing 1 width 1
set ylabel 'ns per call (sampled, timer cost subtracted)'
set logscale y 10
set format y '%g'
set grid ytics mytics lc rgb '#e3e3e3', lc rgb '#f2f2f2'
set mytics 10
c50(j) = 3 + 3 * (j - 1)

plot for [j = 1:s_n] datafile using (gx($0, j)):(column(c50(j))):(0):(column(c50(j) + 2) - column(c50(j))) \
		with vectors nohead lw 2 lc rgb s_color('s_', j) notitle, \
	for [j = 1:s_n] datafile using (gx($0, j)):(column(c50(j))) with points pt 6 ps 1.1 \
		lc rgb s_color('s_', j) notitle, \
	for [j = 1:s_n] datafile using (gx($0, j)):(column(c50(j) + 1)) with points pt 5 ps 1.1 \
		lc rgb s_color('s_', j) notitle, \
	for [j = 1:s_n] datafile using (gx($0, j)):(column(c50(j) + 2)) with points pt 9 ps 1.3 \
		lc rgb s_color('s_', j) notitle, \
	for [j = 1:s_n] keyentry with lines lw 6 lc rgb s_color('s_', j) title s_title('s_', j), \
	keyentry with points pt 6 lc rgb '#222222' title 'p50', \
	keyentry with points pt 5 lc rgb '#222222' title 'p99', \
	keyentry with points pt 9 lc rgb '#222222' title 'p99.9'
