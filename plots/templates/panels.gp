# panels.gp - lines against thread counts, one panel per workload.
#
# mode 'speed':   the median figure with min..max whiskers (yerrorlines),
#                 in each panel's own unit: M calls/s for workloads run for
#                 a time, seconds for fixed-work ones and programs (lower
#                 is better: the panel says so), a program's metric;
# mode 'speedup': median / median at 1 thread, with the ideal diagonal.
# Points sit exactly at their thread count (common.gp).
# npanels == 1 draws one full-size picture (key at the right); more draw a
# grid of panels plus one slot holding the shared key (k_ series).
# Per panel k: pK_file (blocks per series), pK_n/titles/colors/dashes/points,
# pK_title, pK_threads, pK_unit, pK_scale (the data / scale is in unit),
# pK_lower (1: lower is better). Also: title, ylabel, machine, matrix.
load nb_tpldir.'/common.gp'

single = (npanels == 1)
nslots = single ? 1 : npanels + 1
cols = nslots <= 3 ? nslots : ceil(sqrt(nslots))
rows = ceil(real(nslots) / cols)
if (rows > 3) { eval sprintf(nb_terminal, 1200, 280 * rows) }

keytitle = (mode eq 'speed') ? "median\n(whiskers: min..max)" : "median /\nmedian at 1 thread"

if (single) {
	set title sprintf("%s\n%s", title, subtitle) font ',13'
	set key outside right top vertical title keytitle samplen 3 spacing 1.2
	set ylabel ylabel
	set lmargin 12
} else {
	set multiplot layout rows, cols title sprintf("%s\n%s", title, subtitle) font ',13'
	set tics font ',9'
	set xlabel font ',9'
	set key off
	unset ylabel
}

do for [k = 1:npanels] {
	pre = sprintf('p%d_', k)
	n = value(pre.'n')
	f = value(pre.'file')
	axis_threads = value(pre.'threads')
	load nb_tpldir.'/threads_axis.gp'
	yscale = value(pre.'scale')
	if (!single) {
		lower = value(pre.'lower') ? ' (lower is better)' : ''
		set title value(pre.'title') . ((mode eq 'speed') ? lower : '') font ',11'
		set ylabel (mode eq 'speed') ? value(pre.'unit') : 'speedup' font ',9' offset 1,0
	}
	set yrange [0:*]
	if (n == 0) {
		set label 1 'no successful cell' at graph 0.5, 0.5 center textcolor rgb '#888888'
		set yrange [0:1]
		plot -1 notitle
		unset label 1
	} else {
		if (mode eq 'speed') {
			plot for [i = 1:n] f index (i - 1) \
				using 1:($2 / yscale):($3 / yscale):($4 / yscale) \
				with yerrorlines lw 2 ps 1.3 lc rgb s_color(pre, i) dt s_dash(pre, i) \
				pt s_point(pre, i) title s_title(pre, i)
		} else {
			plot x with lines lw 1.5 dt 2 lc rgb '#777777' title 'ideal', \
				for [i = 1:n] f index (i - 1) using 1:2 \
				with linespoints lw 2 ps 1.3 lc rgb s_color(pre, i) dt s_dash(pre, i) \
				pt s_point(pre, i) title s_title(pre, i)
		}
	}
}

if (!single) {
	# the last slot: the key shared by every panel
	unset border
	unset tics
	unset grid
	unset xlabel
	unset ylabel
	unset logscale x
	set title ''
	set xrange [0:1]
	set yrange [0:1]
	set key center center vertical title keytitle font ',11' samplen 3 spacing 1.3
	# (-1 lies outside the range: it only gives gnuplot's axes something real)
	if (mode eq 'speed') {
		plot -1 notitle, for [i = 1:k_n] keyentry with yerrorlines lw 2 lc rgb s_color('k_', i) \
			dt s_dash('k_', i) pt s_point('k_', i) title s_title('k_', i)
	} else {
		plot -1 notitle, keyentry with lines lw 1.5 dt 2 lc rgb '#777777' title 'ideal', \
			for [i = 1:k_n] keyentry with linespoints lw 2 lc rgb s_color('k_', i) \
			dt s_dash('k_', i) pt s_point('k_', i) title s_title('k_', i)
	}
	unset multiplot
}
