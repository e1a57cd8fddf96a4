# claim.gp - one claim of `heaplab reproduce`: for each part of the claim's
# rule, the published value next to the value measured on this machine.
#
#   gnuplot -e "data='x.dat'" -e "out='x.svg'" -e "term='svg'" plots/claim.gp
#
# Data file (written by harness/reproduce_out.c), one header row, one row per
# part: its label, then the published value (its error bar collapsed onto
# it: a published figure has none) and the measured median with the ends of
# its interval (docs/results-format.md, "Intervals").  '?' where a part has
# no published value or was not measured here.  Each part is in its own
# unit (a ratio, a fraction, a count), so read bars within one cluster.
# Variables (besides those of common.gp):
#   data     the data file (required)
#   logy     1: logarithmic y axis (the harness sets it when the values span
#            more than 10x), 0: linear from 0 (default)
#   ymin     with logy: the bottom of the y axis (default: automatic)

if (!exists("data")) { print "heaplab plots: set data='FILE'"; exit status 2 }
if (!exists("title")) title = 'published vs measured'
if (!exists("logy")) logy = 0

lastslash(s, i) = (i < 1) ? 0 : (s[i:i] eq '/' ? i : lastslash(s, i - 1))
here = (lastslash(ARG0, strlen(ARG0)) > 0) ? ARG0[1:lastslash(ARG0, strlen(ARG0)) - 1] : '.'
load here.'/common.gp'

stats data using 0 nooutput
nparts = STATS_records
if (nparts < 1) { print "heaplab plots: ".data." has no rows"; exit status 3 }

set ylabel "each part in its own unit (ratio, fraction, count)\n(measured: median; error bars: its interval)"
set xlabel 'part of the claim'
set style data histogram
set style histogram errorbars gap 1.5 lw 1.2
set style fill solid 0.85 border rgb '#333333'
set boxwidth 0.92 relative
set errorbars small
set xtics nomirror scale 0
if (nparts > 3) { set xtics rotate by 20 right }
set key top left horizontal reverse Left samplen 1.5 width 1 opaque box lc rgb '#bbbbbb'
set xrange [-0.6 : nparts - 0.4]
if (logy) {
    set logscale y
    set format y '%.10g'
    if (exists("ymin") && ymin > 0) { set yrange [ymin:*] } else { set yrange [*:*] }
} else {
    set yrange [0:*]
}
# room above the tallest bar for the key and the values printed over bars
set offsets 0, 0, graph 0.2, 0
# bar i (0: published, 1: measured) of part c sits at c + (i - 0.5) / 3.5
barx(c, i) = c + (i - 0.5) / 3.5
fmt(v) = (v >= 100 ? sprintf('%.0f', v) : (v >= 10 ? sprintf('%.1f', v) : sprintf('%.3g', v)))
plot for [i=0:1] data using (column(2+3*i)):(column(3+3*i)):(column(4+3*i)):xtic(1) \
         title columnhead(2+3*i) lt (i == 0 ? 8 : 2), \
     for [i=0:1] data using (barx($0, i)):(column(4+3*i)):(fmt(column(2+3*i))) \
         with labels offset 0, 0.6 font ',8' textcolor rgb '#333333' notitle
