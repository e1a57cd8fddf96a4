# scaling.gp - thread scaling of one threaded workload: throughput against
# thread count, one line per backend.
#
#   gnuplot -e "data='scaling-larson.dat'" -e "out='scaling-larson.png'" \
#           -e "workload='larson'" plots/scaling.gp
#
# Data file (written by harness/plot.c), one header row, one row per thread
# count, three columns per backend: median throughput over the repetitions
# (operations per second, all threads together) and the slowest and fastest
# repetition; '?' where a backend was not run at that thread count:
#
#   threads  system  system_lo  system_hi  pool ...
#   1        2.1e7   2.0e7      2.2e7      ...
#
# Variables (besides those of common.gp):
#   data      the data file (required)
#   workload  the workload's name, for the title
#   op_unit   what one operation is (e.g. 'alloc+free'), for the y label
#   logy      1: logarithmic throughput axis (values span more than 10x)

if (!exists("data")) { print "heaplab plots: set data='FILE'"; exit status 2 }
if (!exists("workload")) workload = ''
if (!exists("op_unit")) op_unit = 'operations'
if (!exists("logy")) logy = 0
if (!exists("title")) title = 'Thread scaling: '.workload

lastslash(s, i) = (i < 1) ? 0 : (s[i:i] eq '/' ? i : lastslash(s, i - 1))
here = (lastslash(ARG0, strlen(ARG0)) > 0) ? ARG0[1:lastslash(ARG0, strlen(ARG0)) - 1] : '.'
load here.'/common.gp'

stats data using 1 nooutput
npoints = STATS_records
tmin = STATS_min
tmax = STATS_max
nbackends = int((STATS_columns - 1) / 3)
if (npoints < 1 || nbackends < 1) { print "heaplab plots: ".data." has no rows"; exit status 3 }

# Thread counts are usually powers of two: a log2 axis spaces them evenly.
if (tmax >= 2 * tmin) {
    set logscale x 2
    set xrange [tmin / 1.4 : tmax * 1.4]
    set xtics 1, 2 nomirror
} else {
    set xrange [tmin - 0.5 : tmax + 0.5]
    set xtics 1 nomirror
}
set mxtics 1
set xlabel 'threads'
set grid xtics ytics lc rgb '#dddddd'

if (logy) {
    set logscale y
} else {
    set yrange [0:*]
}
set ylabel sprintf("throughput (million %s / s, all threads)\n(median of repetitions; error bars: min..max; higher is better)", op_unit)
set format y '%g'
set key top left reverse Left opaque box lc rgb '#bbbbbb'
set offsets 0, 0, graph 0.15, 0

plot for [i=0:nbackends-1] data \
     using 1:(column(2+3*i)/1e6):(column(3+3*i)/1e6):(column(4+3*i)/1e6) \
     with yerrorlines title columnhead(2+3*i) lt (i+1)
