# peak_rss.gp - peak resident set size net of the RSS the process had when
# it started (program, libraries, Google Benchmark), one small panel per
# workload configuration with its own linear axis, one bar per backend.
# Lower is better.
#
#   gnuplot -e "data='peak_rss.dat'" -e "out='peak_rss.png'" \
#           -e "backends='\"system\" \"pool\"'" -e "colours='#000000 #0072B2'" \
#           -e "panels='\"churn\" \"gen_mix\"'" -e "cols=2" plots/peak_rss.gp
#
# Data file (written by harness/plot_bars.c): one index block per panel,
# each a table with a header row and one row per bar:
#
#   panel backend value lo   hi   name    bname
#   0     1       12.4  12.1 12.9 "churn" "system"
#
# values in MiB; lo = hi = value: no interval; name: the configuration;
# bname: the backend (word `backend` of `backends`)
#
# Variables (besides those of common.gp):
#   data     the data file (required)
#   panels   panel titles as gnuplot words (one per block)
#   cols     panels per row (default 4)
#   net      1 (default): the values are net of the start-up RSS

if (!exists("data")) { print "heaplab plots: set data='FILE'"; exit status 2 }
if (!exists("panels")) panels = '""'
if (!exists("cols")) cols = 4
if (!exists("net")) net = 1
if (!exists("title")) title = net ? 'Peak RSS net of start-up RSS' : 'Peak resident set size'

lastslash(s, i) = (i < 1) ? 0 : (s[i:i] eq '/' ? i : lastslash(s, i - 1))
here = (lastslash(ARG0, strlen(ARG0)) > 0) ? ARG0[1:lastslash(ARG0, strlen(ARG0)) - 1] : '.'
load here.'/common.gp'
if (nbackends < 1) { print "heaplab plots: set backends='\"a\" \"b\"'"; exit status 2 }

np = words(panels)
nrows = int((np + cols - 1) / cols)
mx(a, b) = (a > b) ? a : b
fmtv(v) = (v >= 100) ? sprintf('%.0f', v) : ((v >= 10) ? sprintf('%.1f', v) : sprintf('%.2f', v))

set style fill solid 0.85 border rgb '#333333'
set boxwidth 0.8 absolute
unset xtics
set ytics nomirror font ',8'
set grid ytics
top_margin = 1.0 - 120.0 / height
set multiplot layout nrows, cols title fulltitle font ',12' \
    margins 0.06, 0.99, (strlen(footnote) > 0 ? 40.0 : 15.0) / height, top_margin \
    spacing 45.0 / width, 50.0 / height
unset title
do for [p = 0:np-1] {
    set xrange [*:*]; set yrange [*:*]   # stats obeys the ranges: none while it reads
    stats data index p using (mx(column('hi'), column('value'))) nooutput
    set yrange [0 : (STATS_max > 0 ? STATS_max * 1.3 : 1)]
    set xrange [0.4 : nbackends + 0.6]
    set title word(panels, p + 1) font ',9' offset 0, -0.6
    if (p % cols == 0) {
        set ylabel (net ? "MiB over start-up RSS" : "peak RSS (MiB)") font ',9'
    } else {
        unset ylabel
    }
    if (p == 0) {
        set key at screen 0.5, screen top_margin + 26.0 / height center bottom horizontal \
            samplen 1.5 width 1 noopaque nobox font ',10'
    } else {
        unset key
    }
    plot data index p using (column('backend')):(column('value')):(column('backend')) \
              with boxes lc variable notitle, \
         '' index p using (column('hi') > column('lo') ? column('backend') : NaN) \
              :(column('lo')):(0):(column('hi') - column('lo')) \
              with vectors heads size screen 0.003, 90 lc rgb '#222222' lw 1.2 notitle, \
         '' index p using (column('backend')):(mx(column('hi'), column('value'))) \
              :(fmtv(column('value'))) with labels offset 0, 0.6 font ',7' notitle, \
         for [b = 1:nbackends] keyentry with boxes lt b title word(backends, b)
}
unset multiplot
