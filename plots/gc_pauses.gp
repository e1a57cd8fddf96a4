# gc_pauses.gp - distribution of garbage-collection pause times for one
# workload: one panel per generation, one cumulative distribution (CDF) per
# backend, pause time on a logarithmic axis.  A line further left means
# shorter pauses; where it reaches 1.0 is the longest pause.
#
#   gnuplot -e "data='gc_pauses-gen_mix.dat'" -e "out='gc_pauses-gen_mix.png'" \
#           -e "backends='\"system\" \"pool\"'" -e "colours='#000000 #0072B2'" \
#           -e "ngen=3" plots/gc_pauses.gp
#
# Data file (written by harness/plot_files.c from each cell's gc_pauses.csv, all
# repetitions pooled): ngen * nbackends blocks separated by two blank lines,
# generation-major (block g * nbackends + b is generation g of backend b+1
# of `backends`),
# each with a header row naming the backend, then the pauses in ascending
# order with their cumulative fraction:
#
#   pause_us  <backend>
#   12.5      0.001
#   ...
#   980.0     1.000
#
# A backend with no collection of a generation has a single '? ?' row.
# Variables (besides those of common.gp):
#   data       the data file (required)
#   ngen       number of generations (panels), default 3

if (!exists("data")) { print "heaplab plots: set data='FILE'"; exit status 2 }
if (!exists("ngen")) ngen = 3
if (!exists("title")) title = 'GC pause times'
if (!exists("width")) width = (ngen < 2) ? 900 : 420 * ngen + 80

lastslash(s, i) = (i < 1) ? 0 : (s[i:i] eq '/' ? i : lastslash(s, i - 1))
here = (lastslash(ARG0, strlen(ARG0)) > 0) ? ARG0[1:lastslash(ARG0, strlen(ARG0)) - 1] : '.'
load here.'/common.gp'
if (nbackends < 1) { print "heaplab plots: set backends='\"a\" \"b\"'"; exit status 2 }

stats data using 1 nooutput
if (STATS_records < 1) { print "heaplab plots: ".data." has no pauses"; exit status 3 }
pmin = STATS_min
pmax = STATS_max

# One x range for every panel, whole decades, so the panels compare.
lo = 10 ** floor(log10(pmin))
hi = 10 ** ceil(log10(pmax))
if (hi <= lo) hi = lo * 10

set logscale x 10
set xrange [lo:hi]
set format x '%g'
set yrange [0:1.05]
set ytics 0, 0.25, 1
set grid xtics ytics lc rgb '#dddddd'
set xlabel 'pause time (µs, log scale)'
set key top left reverse Left opaque box lc rgb '#bbbbbb'

set multiplot layout 1, ngen title fulltitle font ',12'
unset title
do for [g=0:ngen-1] {
    set title sprintf('generation %d', g) font ',11'
    if (g == 0) {
        set ylabel 'fraction of collections with pause <= x'
    } else {
        unset ylabel
    }
    plot for [b=0:nbackends-1] data index (g * nbackends + b) using 1:2 \
         with steps title columnhead(2) lt (b+1)
}
unset multiplot
