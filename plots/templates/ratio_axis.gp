# ratio_axis.gp - a log y axis of ratios centred on 1 (ylo = 1 / yhi, from
# plot_vars_ratio_axis), ticks at the ratios in the word list yticks
# (0.5 shown as 0.5, not 1/2), and the dashed rule at 1.
set logscale y
set yrange [ylo : yhi]
set ytics () nomirror
do for [k = 1:words(yticks)] {
	tv = real(word(yticks, k))
	set ytics add ((tv >= 1 ? sprintf('%g', tv) : sprintf('%.2g', tv)) tv)
}
set mytics 1
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 1.5 lc rgb '#555555' back
