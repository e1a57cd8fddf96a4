# peak_rss.gp - peak resident set size of each cell, one cluster per
# workload, one bar per backend.
#
#   gnuplot -e "data='peak_rss.dat'" -e "out='peak_rss.png'" plots/peak_rss.gp
#
# Bars are the median peak RSS over the repetitions in MiB; error bars run
# from the smallest to the largest.  Data layout and the other variables:
# bars.gp and common.gp.

if (!exists("title")) title = 'Peak resident set size'

lastslash(s, i) = (i < 1) ? 0 : (s[i:i] eq '/' ? i : lastslash(s, i - 1))
here = (lastslash(ARG0, strlen(ARG0)) > 0) ? ARG0[1:lastslash(ARG0, strlen(ARG0)) - 1] : '.'
load here.'/common.gp'

set ylabel "peak RSS (MiB)\n(median of repetitions; error bars: min..max; lower is better)"
set xlabel 'workload'
load here.'/bars.gp'
