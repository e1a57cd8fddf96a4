# panels.gp - clustered bars in stacked panels, drawn for reltime.gp,
# overhead.gp and cow.gp (each sets its labels and then loads this file).
#
# Data file (written by harness/plot_bars.c and plot_cow.c): one index
# block per panel (blocks separated by two blank lines), each a table with
# a header row and one row per bar, strings double-quoted:
#
#   panel cluster backend value lo   hi   tic name    params ref    bname    group
#   0     0       1       1.00  0.98 1.03 1   "churn" ""     "pool" "pool"   "churn"
#   0     0       2       1.21  1.10 1.30 0   "churn" ""     "pool" "system" "churn"
#
#   panel    0-based panel (block; one per word of `panels`)
#   cluster  0-based cluster within the panel (one per workload)
#   backend  1-based backend: word `backend` of `backends`, linetype
#            `backend` (its colour)
#   value    the bar; lo, hi its error bar (lo = hi = value: none)
#   tic      1 on one row per cluster: that row names the cluster
#   name     the cluster's name, params its parameters (a second tic line),
#            ref the backend it is relative to (""), bname the bar's backend,
#            group the cluster's key (summary.md's heading for it)
#
# Variables (besides those of common.gp):
#   data       the data file (required)
#   panels     panel titles as gnuplot words: '"object layer" "raw"'
#   clip       cut the axis at this value when bars go beyond it (0: never);
#              a cut bar carries its true value
#   refline    draw a dashed line at this value (0: none)
#   values     1: print every bar's value over it; 0 (default): only cut ones
#   reference  the backend every bar is relative to, '' when it varies (the
#              tic labels then name each cluster's reference)
#   ylab       the y axis label of every panel

if (!exists("data")) { print "heaplab plots: set data='FILE'"; exit status 2 }
if (!exists("panels")) panels = '""'
if (!exists("clip")) clip = 0
if (!exists("refline")) refline = 0
if (!exists("values")) values = 0
if (!exists("reference")) reference = ''
if (!exists("ylab")) ylab = ''
if (nbackends < 1) { print "heaplab plots: set backends='\"a\" \"b\"'"; exit status 2 }

np = words(panels)
bw = 0.84 / nbackends
bx(c, b) = c + (b - 1 - (nbackends - 1) / 2.0) * bw
mn(a, b) = (a < b) ? a : b
mx(a, b) = (a > b) ? a : b
fmtv(v) = (v >= 100) ? sprintf('%.0f', v) : ((v >= 10) ? sprintf('%.1f', v) : sprintf('%.2f', v))
ticlabel(n, q, r) = n.(strlen(q) > 0 ? "\n".q : "") \
                    .((strlen(reference) == 0 && strlen(r) > 0) ? "\n(ref ".r.")" : "")

set style fill solid 0.85 border rgb '#333333'
set boxwidth bw * 0.92 absolute
set xtics nomirror scale 0
set ytics nomirror
set grid ytics
set ylabel ylab

# Room at the top for the titles and the key, on the left for the y
# labels, at the bottom for three lines of tic labels and the footnote;
# the panels share the rest.
top_margin = 1.0 - 125.0 / height
set multiplot layout np, 1 title fulltitle font ',12' \
    margins 100.0 / width, 0.99, (strlen(footnote) > 0 ? 80.0 : 60.0) / height, top_margin \
    spacing 0.0, 110.0 / height
unset title
do for [p = 0:np-1] {
    set xrange [*:*]; set yrange [*:*]   # stats obeys the ranges: none while it reads
    stats data index p using (column('cluster')) nooutput
    nc = int(STATS_max) + 1
    stats data index p using (mx(column('hi'), column('value'))) nooutput
    vmax = STATS_max
    top = (clip > 0 && vmax > clip) ? clip : vmax * 1.12
    if (refline > 0 && top < refline * 1.15) { top = refline * 1.15 }
    set yrange [0:top]
    set xrange [-0.6 : nc - 0.4]
    set title word(panels, p + 1) font ',11' offset 0, -0.5
    unset arrow
    if (refline > 0) {
        set arrow 1 from graph 0, first refline to graph 1, first refline nohead dt 2 lw 1.2 \
            lc rgb '#555555' front
    }
    if (p == 0) {
        set key at screen 0.5, screen top_margin + 28.0 / height center bottom horizontal \
            samplen 1.5 width 1 noopaque nobox
    } else {
        unset key
    }
    plot data index p using (bx(column('cluster'), column('backend'))) \
                    :(mn(column('value'), top)):(column('backend')) \
                    with boxes lc variable notitle, \
         '' index p using (column('hi') > column('lo') ? \
                           bx(column('cluster'), column('backend')) : NaN) \
                  :(mn(column('lo'), top)):(0):(mn(column('hi'), top) - mn(column('lo'), top)) \
                  with vectors heads size screen 0.003, 90 lc rgb '#222222' lw 1.2 notitle, \
         '' index p using (column('cluster')):(0) \
                  :xtic(ticlabel(stringcolumn('name'), stringcolumn('params'), stringcolumn('ref'))) \
                  with points pt -1 notitle, \
         '' index p using (column('value') > top ? bx(column('cluster'), column('backend')) : NaN) \
                  :(top):(fmtv(column('value')).'×') \
                  with labels boxed rotate by 90 right offset 0, -0.8 font ',8' \
                  textcolor rgb '#111111' notitle, \
         '' index p using (values && column('value') <= top ? \
                           bx(column('cluster'), column('backend')) : NaN) \
                  :(mx(column('value'), column('hi'))):(fmtv(column('value'))) \
                  with labels offset 0, 0.7 font ',8' textcolor rgb '#111111' notitle, \
         for [b = 1:nbackends] keyentry with boxes lt b title word(backends, b)
}
unset multiplot
