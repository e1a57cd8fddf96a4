# validate.gp - `heaplab validate`: heaplab's predicted ratio of each CPython
# allocator configuration to pymalloc (x: the modelling backend over pool)
# against CPython's measured one (y), one panel for time per operation and
# one for peak RSS.  On the diagonal y = x the model predicts the ratio
# exactly; in the shaded quadrants (both above 1 or both below) it at least
# orders the configuration and pymalloc as CPython does.  The ranges are the
# points' (the error bars may leave them: 3 rounds give wide ones).
#
#   gnuplot -e "data='validate.dat'" -e "out='v.svg'" -e "term='svg'" \
#           -e "configs='\"malloc\" \"malloc+jemalloc\"'" -e "nconf=2" plots/validate.gp
#
# Data file (harness/validate_out.c): one row per workload x configuration
# (but pymalloc) x metric: metric (1 time, 2 peak RSS), configuration index
# into `configs` (1-based), predicted ratio with its interval ends, measured
# ratio with its interval ends (intervals: docs/results-format.md), then the
# workload, configuration and backend names.  '?' marks a missing value.

if (!exists("configs")) configs = ''
if (!exists("nconf")) nconf = words(configs)
if (!exists("width")) width = 1200
if (!exists("height")) height = 620

lastslash(s, i) = (i < 1) ? 0 : (s[i:i] eq '/' ? i : lastslash(s, i - 1))
here = (lastslash(ARG0, strlen(ARG0)) > 0) ? ARG0[1:lastslash(ARG0, strlen(ARG0)) - 1] : '.'
load here.'/common.gp'

set datafile missing '?'
set key top left box opaque font ',10'
set logscale xy 2
set grid
set xlabel "heaplab: backend / pool (predicted)"
set ylabel "CPython: configuration / pymalloc (measured)"
set size ratio -1
panel(m) = (m == 1) ? 'time per operation' : 'peak RSS'

# each panel's range covers both axes, so that y = x is the diagonal
set xtics (0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2, 1.3, 1.5, 1.75, 2, 2.5, 3, 4)
set ytics (0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2, 1.3, 1.5, 1.75, 2, 2.5, 3, 4)
set multiplot layout 1, 2 title fulltitle font ',12'
unset title
do for [m = 1:2] {
    stats data using (($1 == m) ? $3 : NaN) nooutput
    xmin = STATS_min; xmax = STATS_max
    stats data using (($1 == m) ? $6 : NaN) nooutput
    lo = (STATS_min < xmin ? STATS_min : xmin) / 1.1
    hi = (STATS_max > xmax ? STATS_max : xmax) * 1.1
    lo = lo > 0.95 ? 0.95 : lo
    hi = hi < 1.05 ? 1.05 : hi
    set xrange [lo:hi]
    set yrange [lo:hi]
    set title panel(m) font ',11'
    set object 1 rect from lo, lo to 1, 1 fc rgb '#E8F4E8' fs solid 1.0 noborder behind
    set object 2 rect from 1, 1 to hi, hi fc rgb '#E8F4E8' fs solid 1.0 noborder behind
    plot x with lines lc rgb '#888888' dt 2 lw 1 title 'y = x', \
         for [c = 1:nconf] data using (($1 == m && $2 == c) ? $3 : NaN):6:4:5:7:8 \
             with xyerrorbars lt c ps 0.9 title word(configs, c)
}
unset multiplot
