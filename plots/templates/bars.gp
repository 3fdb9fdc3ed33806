# bars.gp - grouped bars: one group per workload (at its largest thread
# count), one bar per allocator, the value printed on each bar.
#
# mode 'ratio': throughput ratios (a dashed rule at 1); mode 'rss': peak
# RSS, data in KiB drawn in MiB. Data: datafile, rows
# "workload<TAB>threads<TAB>value per series"; s_ series; ngroups, groups,
# threads_note, ylabel, title.
load nb_tpldir.'/common.gp'
load nb_tpldir.'/groups_axis.gp'

set title sprintf("%s %s\n%s", title, threads_note, subtitle) font ',13'
set key outside bottom center horizontal samplen 2 spacing 1 width 1
set ylabel ylabel
set style fill solid 0.9 border lc rgb '#333333'
set yrange [0:*]
set offsets 0, 0, graph 0.14, 0
scale = (mode eq 'rss') ? 1024.0 : 1.0
fmt(v) = (mode eq 'rss') ? (v >= 100 ? sprintf('%.0f', v) : sprintf('%.1f', v)) : sprintf('%.2f', v)
if (mode eq 'ratio') {
	set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 1.5 lc rgb '#555555' front
}

plot for [j = 1:s_n] datafile using (gx($0, j)):(column(j + 2) / scale):(bw) with boxes \
		lc rgb s_color('s_', j) title s_title('s_', j), \
	for [j = 1:s_n] datafile using (gx($0, j)):(column(j + 2) / scale):(fmt(column(j + 2) / scale)) \
		with labels rotate by 90 left offset 0, 0.4 font labfont textcolor rgb '#222222' notitle
