# compare.gp - `nanobench compare A B`: for each block and allocator the
# ratio B / A (the Hodges-Lehmann estimate of the ratio of speeds) with its
# 95% interval, the point's shape giving the verdict, on a log axis centred
# on 1 (B twice as fast and half as fast are as far from 1); the grey band
# is 1 +- the median half-width of the intervals (the typical noise of this
# comparison).
#
# Data: datafile, one block per allocator (s_ series), rows
# "x<TAB>ratio<TAB>ci_lo<TAB>ci_hi<TAB>verdict" (1 faster, 2 slower, 3 same,
# 4 undecided); nblocks, block_labels, block_centres, block_edges, xmax,
# noise, ylo, yhi, yticks (ratio_axis.gp), title, source.
load nb_tpldir.'/common.gp'

set title sprintf("%s\n%s", title, source) font ',13'
set key outside bottom center horizontal samplen 2 spacing 1 width 1
set ylabel 'B / A (above 1: B is faster)'
set xrange [-1 : xmax + 1]
load nb_tpldir.'/ratio_axis.gp'
set xtics () scale 0
do for [k = 1:nblocks] {
	set xtics add (word(block_labels, k) real(word(block_centres, k)))
}
if (nblocks > 4) { set xtics rotate by 30 right }
do for [k = 1:words(block_edges)] {
	set arrow from first real(word(block_edges, k)), graph 0 to first real(word(block_edges, k)), graph 1 \
		nohead lc rgb '#cccccc' back
}
if (noise > 0) {
	set object 1 rect from graph 0, first (1 - noise > ylo ? 1 - noise : ylo) to graph 1, first 1 + noise \
		fc rgb '#e6e6e6' fillstyle solid 1.0 noborder behind
}
pt_of(v) = v == 1 ? 9 : v == 2 ? 11 : v == 3 ? 6 : 2
has(v) = v == v          # false for NaN: a row without an interval gets no bar

plot for [i = 1:s_n] datafile index (i - 1) using 1:(has($3) && has($4) ? $2 : NaN):3:4 with yerrorbars pt -1 lw 1.5 \
		lc rgb s_color('s_', i) title s_title('s_', i), \
	for [i = 1:s_n] datafile index (i - 1) using 1:2:(pt_of($5)) with points pt variable ps 1.6 \
		lc rgb s_color('s_', i) notitle, \
	keyentry with points pt 9 lc rgb '#222222' title 'faster', \
	keyentry with points pt 11 lc rgb '#222222' title 'slower', \
	keyentry with points pt 6 lc rgb '#222222' title 'same', \
	keyentry with points pt 2 lc rgb '#222222' title 'undecided', \
	keyentry with boxes fc rgb '#e6e6e6' fs solid 1.0 title sprintf('noise +-%.3f', noise)
