# groups_axis.gp - the x axis of grouped bars/points: ngroups groups (word
# list `groups`), s_n series side by side in each, 0.8 of the group wide.
# Gives bw (one series' width) and gx(g, j): the centre of series j in
# group g (g counts from 0, as $0 does).
bw = 0.8 / s_n
gx(g, j) = g + (j - (s_n + 1) / 2.0) * bw
set xrange [-0.6 : ngroups - 0.4]
set xtics () scale 0
do for [g = 1:ngroups] {
	set xtics add (word(groups, g) g - 1)
}
if (ngroups > 6) { set xtics rotate by 30 right }
# a light rule between groups
do for [g = 1:ngroups - 1] {
	set arrow from first g - 0.5, graph 0 to first g - 0.5, graph 1 nohead lc rgb '#eeeeee' back
}
# small enough value labels for the number of bars
nbars = ngroups * s_n
labfont = nbars <= 30 ? ',10' : nbars <= 60 ? ',8' : ',7'
# a group whose every cell failed says so instead of looking like zeros
do for [k = 1:words(empty_groups)] {
	set label sprintf('no successful cell') at first real(word(empty_groups, k)), graph 0.5 \
		center rotate by 90 textcolor rgb '#888888' front
}
