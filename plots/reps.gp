# reps.gp - every repetition of every cell of one family of workloads: one
# small panel per workload configuration, one column of dots per backend
# (one dot per repetition, i.e. per process), a line across at the
# median in the backend's colour.  A strip chart rather than a box plot: with 3-9 values a box has
# nothing to summarise, and two clusters of dots say more than a box.
#
#   gnuplot -e "data='reps-objects.dat'" -e "out='reps-objects.png'" \
#           -e "backends='\"system\" \"pool\"'" -e "colours='#000000 #0072B2'" \
#           -e "points='9 7'" -e "panels='\"churn\" \"gen_mix\"'" plots/reps.gp
#
# Data file (written by harness/plot_reps.c): one index block per panel,
# each a table with a header row and one row per repetition:
#
#   panel backend rep value  median lo     hi     name    bname
#   0     1       0   101.2  99.8   97.1   103.0  "churn" "system"
#
#   backend  1-based, word `backend` of `backends`
#   rep      the repetition (0-based; spreads the dots sideways)
#   value    that repetition's figure; median, lo, hi: the cell's median
#            and the interval of the median (repeated on each row); name:
#            the configuration (the panel title)
#
# Variables (besides those of common.gp):
#   data     the data file (required)
#   panels   panel titles as gnuplot words (one per block)
#   cols     panels per row (default 4)
#   unit     the y axis unit (default 'ns / op')

if (!exists("data")) { print "heaplab plots: set data='FILE'"; exit status 2 }
if (!exists("panels")) panels = '""'
if (!exists("cols")) cols = 4
if (!exists("unit")) unit = 'ns / op'
if (!exists("title")) title = 'Every repetition'

lastslash(s, i) = (i < 1) ? 0 : (s[i:i] eq '/' ? i : lastslash(s, i - 1))
here = (lastslash(ARG0, strlen(ARG0)) > 0) ? ARG0[1:lastslash(ARG0, strlen(ARG0)) - 1] : '.'
load here.'/common.gp'
if (nbackends < 1) { print "heaplab plots: set backends='\"a\" \"b\"'"; exit status 2 }

np = words(panels)
nrows = int((np + cols - 1) / cols)
# Dots of one backend spread over +-0.25 by repetition number, so equal
# values stay countable.
jitter(r) = ((int(r) % 7) - 3) * 0.075

unset xtics
set ytics nomirror font ',8'
set format y '%.4g'
set grid ytics
set xrange [0.4 : nbackends + 0.6]
set offsets 0, 0, graph 0.12, graph 0.12
top_margin = 1.0 - 120.0 / height
set multiplot layout nrows, cols title fulltitle font ',12' \
    margins 0.06, 0.99, (strlen(footnote) > 0 ? 40.0 : 15.0) / height, top_margin \
    spacing 50.0 / width, 50.0 / height
unset title
do for [p = 0:np-1] {
    set title word(panels, p + 1) font ',9' offset 0, -0.6
    if (p % cols == 0) {
        set ylabel unit font ',9'
    } else {
        unset ylabel
    }
    if (p == 0) {
        set key at screen 0.5, screen top_margin + 26.0 / height center bottom horizontal \
            samplen 1 width 1 noopaque nobox font ',10'
    } else {
        unset key
    }
    set yrange [*:*]
    plot data index p using (column('backend') + jitter(column('rep'))):(column('value')) \
              :(column('backend')) with points lc variable pt 7 ps 0.8 notitle, \
         '' index p using (column('backend') - 0.33):(column('median')):(0.66):(0) \
              :(column('backend')) with vectors nohead lc variable lw 2.5 notitle, \
         for [b = 1:nbackends] keyentry with points lt b pt 7 ps 1.2 title word(backends, b)
}
unset multiplot
