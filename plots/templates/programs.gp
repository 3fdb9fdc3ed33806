# programs.gp - the mimalloc-bench pair of a run's [program] cells: per
# program, one bar per allocator from 1 to its time (or peak RSS) relative
# to glibc, on a log axis centred on 1 (so 2x slower and 2x faster are
# equally tall), the value printed beyond the end of the bar (above a bar
# over 1, below one under 1, never across the dashed rule at 1); the last
# group, shaded, is the geometric mean over the programs. Lower is better.
# Data: datafile, rows "program<TAB>1<TAB>ratio per series" (NaN: every cell
# failed); s_ series; ngroups, groups, empty_groups, threads_note, ylabel,
# ylo, yhi, yticks, title. (Each label plot gets every bar, with an empty
# text where the other one writes: gnuplot 5.4 crashes on a rotated label
# plot that has no point at all.)
load nb_tpldir.'/common.gp'
load nb_tpldir.'/groups_axis.gp'

set title sprintf("%s %s\n%s", title, threads_note, subtitle) font ',13'
set key outside bottom center horizontal samplen 2 spacing 1 width 1
set ylabel ylabel
load nb_tpldir.'/ratio_axis.gp'
set object 1 rect from first ngroups - 1.5, graph 0 to first ngroups - 0.4, graph 1 \
	fc rgb '#f0f0f0' fs solid 1.0 noborder behind

bot(v) = v < 1 ? v : 1
top(v) = v < 1 ? 1 : v
at(v) = v >= 1 ? v * 1.03 : v / 1.03

plot \
	for [j = 1:s_n] datafile using (gx($0, j)):(column(j + 2)):(gx($0, j) - bw / 2): \
		(gx($0, j) + bw / 2):(bot(column(j + 2))):(top(column(j + 2))) \
		with boxxyerror fs solid 0.9 border lc rgb '#333333' fc rgb s_color('s_', j) \
		title s_title('s_', j), \
	for [j = 1:s_n] datafile using (gx($0, j)):(at(column(j + 2))): \
		(column(j + 2) >= 1 ? sprintf('%.2f', column(j + 2)) : '') \
		with labels rotate by 90 left font labfont textcolor rgb '#222222' notitle, \
	for [j = 1:s_n] datafile using (gx($0, j)):(at(column(j + 2))): \
		(column(j + 2) < 1 ? sprintf('%.2f', column(j + 2)) : '') \
		with labels rotate by 90 right font labfont textcolor rgb '#222222' notitle
