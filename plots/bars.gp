# bars.gp - clustered bars with error bars, shared by reltime.gp, peak_rss.gp,
# overhead.gp and cow.gp (each sets its labels and then loads this file).
#
# Data file (written by harness/plot.c), whitespace separated, one header row:
#
#   workload            "system" lo   hi    "pool" lo   hi   ...
#   "pairs"             1.00     0.98 1.03  1.41   1.30 1.52
#   "larson (2 threads)" ...
#
# one row per cluster (workload), three columns per backend: the bar's value
# and the ends of its error bar.  Names are double-quoted (they may contain
# spaces).  '?' marks a backend that has no value for
# that workload (no bar is drawn).
#
# Variables (besides those of common.gp):
#   data     the data file (required)
#   logy     1: logarithmic y axis (the harness sets it when values span
#            more than 10x), 0: linear from 0 (default)
#   ymin     with logy: the bottom of the y axis (default: automatic)
#   refline  draw a dashed line at this y value (0: none)
#   values   1 (default): print each bar's value above it; 0: don't

if (!exists("data")) { print "heaplab plots: set data='FILE'"; exit status 2 }
if (!exists("logy")) logy = 0
if (!exists("refline")) refline = 0
if (!exists("values")) values = 1

stats data using 0 nooutput
nclusters = STATS_records
nbackends = int((STATS_columns - 1) / 3)
if (nclusters < 1 || nbackends < 1) { print "heaplab plots: ".data." has no rows"; exit status 3 }

set style data histogram
set style histogram errorbars gap 1.5 lw 1.2
set style fill solid 0.85 border rgb '#333333'
set boxwidth 0.92 relative
set errorbars small
set xtics nomirror scale 0
if (nclusters > 5) { set xtics rotate by 30 right }
set key top left horizontal reverse Left samplen 1.5 width 1 opaque box lc rgb '#bbbbbb'
set xrange [-0.6 : nclusters - 0.4]

if (logy) {
    set logscale y
    set format y '%.10g'
    if (!exists("ymax")) { ymax = -1 }
    if (exists("ymin") && ymin > 0 && ymax > ymin) {
        set yrange [ymin:ymax]
    } else {
        if (exists("ymin") && ymin > 0) {
            set yrange [ymin:*]
        } else {
            set yrange [*:*]
        }
    }
} else {
    set yrange [0:*]
}
# Room above the tallest bar for the key and the values printed over bars.
set offsets 0, 0, graph 0.18, 0

# The reference line only where it falls inside the y range.
if (refline > 0 && (!logy || !exists("ymin") || ymin < refline)) {
    set arrow 1 from graph 0, first refline to graph 1, first refline nohead dt 2 lw 1.2 lc rgb '#555555' back
}

# Bar i (0-based) of cluster c sits at c + (i - (n-1)/2) / (n + gap), gap 1.5.
barx(c, i) = c + (i - (nbackends - 1) / 2.0) / (nbackends + 1.5)
fmt(v) = (v >= 100 ? sprintf('%.0f', v) : (v >= 10 ? sprintf('%.1f', v) : sprintf('%.2f', v)))

if (values && nclusters * nbackends <= 80) {
    plot for [i=0:nbackends-1] data \
             using (column(2+3*i)):(column(3+3*i)):(column(4+3*i)):xtic(1) \
             title columnhead(2+3*i) lt (i+1), \
         for [i=0:nbackends-1] data \
             using (barx($0, i)):(column(4+3*i)):(fmt(column(2+3*i))) \
             with labels rotate by 90 left offset 0, 0.4 font ',8' textcolor rgb '#333333' notitle
} else {
    plot for [i=0:nbackends-1] data \
             using (column(2+3*i)):(column(3+3*i)):(column(4+3*i)):xtic(1) \
             title columnhead(2+3*i) lt (i+1)
}
