# bars.gp - grouped bars of peak RSS: one group per workload (at its largest
# thread count), one bar per allocator, the value printed on each bar.
#
# Data in KiB, drawn in MiB: when rss_net is 1, each bar is the median of
# peak_rss_kib - base_rss_kib, what the workload and the allocator added to
# the process as it stood before set-up (the harness, its libraries and
# the allocator's start-up: rss_base MiB, said in the title); when 0 (a
# program, whose process has no such baseline), the peak itself.
# Data: datafile, rows "workload<TAB>threads<TAB>value per series"; s_
# series; ngroups, groups, threads_note, rss_net, rss_base, title.
load nb_tpldir.'/common.gp'
load nb_tpldir.'/groups_axis.gp'

basenote = rss_net ? sprintf("\nabove the process's own resident set before set-up (%s, subtracted)", rss_base) : ''
set title sprintf("%s %s%s\n%s", title, threads_note, basenote, subtitle) font ',13'
set key outside bottom center horizontal samplen 2 spacing 1 width 1
set ylabel rss_net ? 'peak RSS - RSS before set-up, MiB (median)' : 'peak resident set, MiB (median)'
set style fill solid 0.9 border lc rgb '#333333'
set yrange [0:*]
set offsets 0, 0, graph 0.14, 0
fmt(v) = v >= 100 ? sprintf('%.0f', v) : sprintf('%.1f', v)

plot for [j = 1:s_n] datafile using (gx($0, j)):(column(j + 2) / 1024.0):(bw) with boxes \
		lc rgb s_color('s_', j) title s_title('s_', j), \
	for [j = 1:s_n] datafile using (gx($0, j)):(column(j + 2) / 1024.0):(fmt(column(j + 2) / 1024.0)) \
		with labels rotate by 90 left offset 0, 0.4 font labfont textcolor rgb '#222222' notitle
