# ratio.gp - ratios of speeds as bars on a log axis centred on 1 (so 2x
# faster and 2x slower are equally tall): one group per workload at its
# largest thread count, one bar per allocator from 1 to its Hodges-Lehmann
# ratio, the 95% interval as a whisker, and the verdict of summary.md's
# rule: a solid bar is a decided difference, a pale bar marked "≈" is the
# same within noise, "?" is undecided (fewer than 6 repetitions a side).
# The value is printed beyond the end of the bar and its whisker, above a
# bar over 1 and below one under 1, so no label crosses the y = 1 rule or
# another label.
#
# mode 'glibc' or 'best' (what 1 is). Data: datafile, rows
# "workload<TAB>threads" then per series ratio, lo, hi, verdict (1 faster,
# 2 slower, 3 same, 4 undecided, 5 the reference itself), label position;
# s_ series; ngroups, groups, threads_note, ylabel, ylo, yhi (ylo = 1 /
# yhi), yticks, title. (No expression here touches lo or hi: in gnuplot one
# that meets a NaN drops its whole point. And each label plot gets every
# bar, with an empty text where the other one writes: gnuplot 5.4 crashes
# on a rotated label plot that has no point at all.)
load nb_tpldir.'/common.gp'
load nb_tpldir.'/groups_axis.gp'

set title sprintf("%s %s\n%s", title, threads_note, subtitle) font ',13'
set key outside bottom center horizontal samplen 2 spacing 1 width 1
set ylabel ylabel
load nb_tpldir.'/ratio_axis.gp'

rc(j) = 3 + 5 * (j - 1)       # the ratio's column; lo, hi, verdict, label position follow
bot(v) = v < 1 ? v : 1
top(v) = v < 1 ? 1 : v
decided(ver) = ver == 1 || ver == 2
pale(ver) = ver == 3 || ver == 4
what = (mode eq 'glibc') ? 'glibc' : 'best'
labtext(v, ver) = ver == 5 ? what : sprintf('%.2f', v) . (ver == 3 ? ' ≈' : ver == 4 ? ' ?' : '')

plot \
	for [j = 1:s_n] datafile using (gx($0, j)):(decided(column(rc(j) + 3)) ? column(rc(j)) : NaN): \
		(gx($0, j) - bw / 2):(gx($0, j) + bw / 2):(bot(column(rc(j)))):(top(column(rc(j)))) \
		with boxxyerror fs solid 0.9 border lc rgb '#333333' fc rgb s_color('s_', j) \
		title s_title('s_', j), \
	for [j = 1:s_n] datafile using (gx($0, j)):(pale(column(rc(j) + 3)) ? column(rc(j)) : NaN): \
		(gx($0, j) - bw / 2):(gx($0, j) + bw / 2):(bot(column(rc(j)))):(top(column(rc(j)))) \
		with boxxyerror fs transparent solid 0.3 border lc rgb s_color('s_', j) \
		fc rgb s_color('s_', j) notitle, \
	for [j = 1:s_n] datafile using (gx($0, j) - bw / 2):(column(rc(j) + 3) == 5 ? 1 : NaN):(bw):(0) \
		with vectors nohead lw 3 lc rgb s_color('s_', j) notitle, \
	for [j = 1:s_n] datafile using (gx($0, j)):(column(rc(j) + 1)):(0):(column(rc(j) + 2) - column(rc(j) + 1)) \
		with vectors heads size screen 0.004, 90 lw 1.3 lc rgb '#222222' notitle, \
	for [j = 1:s_n] datafile using (gx($0, j)):(column(rc(j) + 4)): \
		(column(rc(j)) >= 1 ? labtext(column(rc(j)), column(rc(j) + 3)) : '') \
		with labels rotate by 90 left font labfont textcolor rgb '#222222' notitle, \
	for [j = 1:s_n] datafile using (gx($0, j)):(column(rc(j) + 4)): \
		(column(rc(j)) < 1 ? labtext(column(rc(j)), column(rc(j) + 3)) : '') \
		with labels rotate by 90 right font labfont textcolor rgb '#222222' notitle, \
	keyentry with vectors heads size screen 0.004, 90 lw 1.3 lc rgb '#222222' title '95% interval', \
	keyentry with boxes fs transparent solid 0.3 lc rgb '#777777' title sprintf('≈ same as %s within noise', what), \
	keyentry with points ps 0 title '? fewer than 6 repetitions'

