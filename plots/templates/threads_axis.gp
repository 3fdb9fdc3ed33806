# threads_axis.gp - the x axis for a list of thread counts in `axis_threads`
# (loaded by the templates that plot against threads).
unset logscale x
set xtics ()
do for [k = 1:words(axis_threads)] {
	set xtics add (word(axis_threads, k) real(word(axis_threads, k)))
}
if (thr_log(axis_threads)) {
	set logscale x 2
	set xrange [thr_lo(axis_threads) / 1.3 : thr_hi(axis_threads) * 1.3]
} else {
	set xrange [thr_lo(axis_threads) - 0.3 : thr_hi(axis_threads) + 0.3]
}
set xlabel 'threads'
