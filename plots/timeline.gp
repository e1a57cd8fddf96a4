# timeline.gp - memory over time while one workload runs, one line per
# backend (the chart memory_profiler's `mprof plot` draws for one process).
#
#   gnuplot -e "data='timeline-gen_mix.dat'" -e "out='timeline-gen_mix.png'" \
#           -e "workload='gen_mix'" plots/timeline.gp
#
# Data file (written by harness/plot.c from each cell's timeline.csv): one
# block per backend, blocks separated by two blank lines, each block with a
# header row naming the backend, then one row per sample:
#
#   t_s   <backend>   live
#   0.00  3.10        0.52        seconds since the workload's set-up, resident
#   0.01  7.80        4.10        set size in MiB, live bytes in MiB
#
# A live column of '?' (the backend cannot count live bytes) draws no
# dashed line.  Variables (besides those of common.gp):
#   data      the data file (required)
#   workload  the workload's name, for the title
#   live      1 (default): also draw live bytes, dashed, in the backend's colour

if (!exists("data")) { print "heaplab plots: set data='FILE'"; exit status 2 }
if (!exists("workload")) workload = ''
if (!exists("live")) live = 1
if (!exists("title")) title = 'Memory over time: '.workload

lastslash(s, i) = (i < 1) ? 0 : (s[i:i] eq '/' ? i : lastslash(s, i - 1))
here = (lastslash(ARG0, strlen(ARG0)) > 0) ? ARG0[1:lastslash(ARG0, strlen(ARG0)) - 1] : '.'
load here.'/common.gp'

stats data using 1 nooutput
nblocks = STATS_blocks
if (STATS_records < 1 || nblocks < 1) { print "heaplab plots: ".data." has no samples"; exit status 3 }

set xlabel "time since the workload's set-up finished (s)"
set ylabel 'memory (MiB)'
set yrange [0:*]
set xrange [0:*]
set grid xtics ytics lc rgb '#dddddd'
set key top left reverse Left opaque box lc rgb '#bbbbbb'
set offsets 0, 0, graph 0.12, 0
if (live) { set key maxrows nblocks }

if (live) {
    plot for [i=0:nblocks-1] data index i using 1:2 with lines title columnhead(2).' RSS' lt (i+1), \
         for [i=0:nblocks-1] data index i using 1:3 with lines lt (i+1) dt 2 lw 1.5 title columnhead(2).' live'
} else {
    plot for [i=0:nblocks-1] data index i using 1:2 with lines title columnhead(2) lt (i+1)
}
