# timeline.gp - memory over time while one workload runs, one line per
# backend (the chart memory_profiler's `mprof plot` draws for one process).
#
#   gnuplot -e "data='timeline-gen_mix.dat'" -e "out='timeline-gen_mix.png'" \
#           -e "backends='\"system\" \"pool\"'" -e "colours='#000000 #0072B2'" \
#           plots/timeline.gp
#
# Data file (written by harness/plot_files.c from each cell's timeline.csv
# of the fixed-work pass): one index block per backend of `backends` (block
# b-1 is backend b; a backend without a timeline has a header only), each
# with a header row naming the backend, then one row per sample:
#
#   t_s   <backend>   live
#   0.00  3.10        0.52        seconds since the pass started, RSS in MiB
#   0.01  7.80        4.10        (net of start-up RSS when net=1), live MiB
#
# A live column of '?' (the backend cannot count live bytes) draws no
# dashed line.  Variables (besides those of common.gp):
#   data      the data file (required)
#   net       1 (default): RSS is net of the process's start-up RSS
#   live      1 (default): also draw live bytes, dashed, in the backend's colour

if (!exists("data")) { print "heaplab plots: set data='FILE'"; exit status 2 }
if (!exists("live")) live = 1
if (!exists("net")) net = 1
if (!exists("title")) title = 'Memory over time'

lastslash(s, i) = (i < 1) ? 0 : (s[i:i] eq '/' ? i : lastslash(s, i - 1))
here = (lastslash(ARG0, strlen(ARG0)) > 0) ? ARG0[1:lastslash(ARG0, strlen(ARG0)) - 1] : '.'
load here.'/common.gp'

stats data using 1 nooutput
if (STATS_records < 1) { print "heaplab plots: ".data." has no samples"; exit status 3 }
nblocks = (nbackends > 0) ? nbackends : STATS_blocks

set xlabel "time since the fixed-work pass started (s)"
set ylabel (net ? "MiB (RSS: net of start-up RSS)" : 'memory (MiB)')
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
