# reltime.gp - time per operation of each backend relative to a baseline,
# one cluster per workload, one bar per backend, in the layout of mimalloc's
# published benchmark charts (lower is better; 1.0 is the baseline).
#
#   gnuplot -e "data='reltime.dat'" -e "out='reltime.png'" plots/reltime.gp
#
# Bars are the median of the repetitions divided by the baseline's median;
# error bars run from the fastest to the slowest repetition on that scale.
# Data layout and the other variables: bars.gp and common.gp.  Extra:
#   baseline   how the baseline was chosen, for the y label

if (!exists("baseline")) baseline = 'the fastest backend'
if (!exists("title")) title = 'Time per operation relative to a baseline'
refline = 1

lastslash(s, i) = (i < 1) ? 0 : (s[i:i] eq '/' ? i : lastslash(s, i - 1))
here = (lastslash(ARG0, strlen(ARG0)) > 0) ? ARG0[1:lastslash(ARG0, strlen(ARG0)) - 1] : '.'
load here.'/common.gp'

set ylabel "time per operation relative to ".baseline."\n(median of repetitions; error bars: min..max; lower is better)"
set xlabel 'workload'
load here.'/bars.gp'
