# latency.gp - sampled call latency per workload and allocator, log scale:
# for each allocator a stroke from p50 to p99.9 with a marker at each of
# p50 (open circle), p99 (square) and p99.9 (triangle), side by side within
# the allocator's slot so equal values never hide one another.
#
# A value under the timer's resolution (timer_res ns, the smallest step the
# clock showed; p50 is often 0 once the timer's cost is subtracted) cannot
# sit on a log axis and means "too fast to tell": it is drawn as an open
# down-triangle in the band under the dashed resolution line, never
# dropped. timer_res 0 (not recorded): 1 ns stands in.
#
# Data: datafile, rows "workload<TAB>threads<TAB>" then p50, p99, p99.9 per
# series (ns); s_ series; ngroups, groups, threads_note, timer_res, title.
load nb_tpldir.'/common.gp'
load nb_tpldir.'/groups_axis.gp'

res = timer_res > 0 ? timer_res : 1.0
band = res / 2.0                      # where values under the resolution go
set title sprintf("%s %s\n%s", title, threads_note, subtitle) font ',13'
set key outside bottom center horizontal samplen 2 spacing 1 width 1 maxrows 3
set ylabel 'ns per call (sampled, timer cost subtracted)'
set logscale y 10
set format y '%g'
set yrange [res / 4.0 : *]
set grid ytics mytics lc rgb '#e3e3e3', lc rgb '#f2f2f2'
set mytics 10
set arrow from graph 0, first res to graph 1, first res nohead dt 3 lw 1.2 lc rgb '#888888' back
set label sprintf('timer resolution %.3g ns', res) at graph 1, first res * 1.15 right \
	font ',9' textcolor rgb '#666666' front
c50(j) = 3 + 3 * (j - 1)
under(v) = v == v && v < res
shown(v) = v != v ? NaN : under(v) ? band : v
d = bw / 4.0                          # p50 left, p99 centre, p99.9 right

plot for [j = 1:s_n] datafile using (gx($0, j)):(shown(column(c50(j)))):(0): \
		(shown(column(c50(j) + 2)) - shown(column(c50(j)))) \
		with vectors nohead lw 2 lc rgb s_color('s_', j) notitle, \
	for [k = 0:2] for [j = 1:s_n] datafile \
		using (gx($0, j) + (k - 1) * d):(under(column(c50(j) + k)) ? band : NaN) \
		with points pt 10 ps 1.3 lc rgb s_color('s_', j) notitle, \
	for [j = 1:s_n] datafile using (gx($0, j) - d):(under(column(c50(j))) ? NaN : column(c50(j))) \
		with points pt 6 ps 1.1 lc rgb s_color('s_', j) notitle, \
	for [j = 1:s_n] datafile using (gx($0, j)):(under(column(c50(j) + 1)) ? NaN : column(c50(j) + 1)) \
		with points pt 5 ps 1.1 lc rgb s_color('s_', j) notitle, \
	for [j = 1:s_n] datafile using (gx($0, j) + d):(under(column(c50(j) + 2)) ? NaN : column(c50(j) + 2)) \
		with points pt 9 ps 1.3 lc rgb s_color('s_', j) notitle, \
	for [j = 1:s_n] keyentry with lines lw 6 lc rgb s_color('s_', j) title s_title('s_', j), \
	keyentry with points pt 6 lc rgb '#222222' title 'p50', \
	keyentry with points pt 5 lc rgb '#222222' title 'p99', \
	keyentry with points pt 9 lc rgb '#222222' title 'p99.9', \
	keyentry with points pt 10 lc rgb '#222222' title sprintf('below timer resolution (< %.3g ns)', res)
