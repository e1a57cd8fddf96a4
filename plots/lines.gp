# lines.gp - one line per backend against a swept quantity, drawn for
# scaling.gp (threads) and sweep.gp (a workload parameter).
#
# Data file (written by harness/plot_lines.c): one index block per backend
# of `backends` (block b-1 is backend b; a backend without points has an
# empty block), each a table with a header row and one row per point:
#
#   backend  x   y     lo    hi    label
#   "pool"   16  12.1  11.9  12.6  "16"
#
#   x      the swept value (for categories, their order: 0, 1, ...)
#   y      the median; lo, hi the interval of the median (= y: none)
#   label  how to name x on the axis
#
# Variables (besides those of common.gp):
#   data         the data file (required)
#   xlab, ylab   axis labels
#   better       'lower' or 'higher': which way is better (ylab's second line)
#   categorical  1: x is a category (its tics are named by `label`, as
#                every swept value's are)
#   logx         1: logarithmic x axis (base 2)
#   logy         1: logarithmic y axis

if (!exists("data")) { print "heaplab plots: set data='FILE'"; exit status 2 }
if (!exists("xlab")) xlab = ''
if (!exists("ylab")) ylab = ''
if (!exists("better")) better = ''
if (!exists("categorical")) categorical = 0
if (!exists("logx")) logx = 0
if (!exists("logy")) logy = 0
if (nbackends < 1) { print "heaplab plots: set backends='\"a\" \"b\"'"; exit status 2 }

stats data using (column('x')) nooutput
xmin = STATS_min
xmax = STATS_max
if (logx) {
    set logscale x 2
    set xrange [xmin / 1.3 : xmax * 1.3]
} else {
    pad = (xmax > xmin) ? (xmax - xmin) * 0.06 : 0.5
    set xrange [xmin - pad : xmax + pad]
}
if (logy) { set logscale y } else { set yrange [0:*] }
set xlabel xlab
set ylabel ylab.(strlen(better) > 0 ? "\n(".better." is better)" : '')
set format y '%g'
set grid xtics ytics lc rgb '#dddddd'
set key outside right top vertical reverse Left samplen 2 noopaque nobox
set offsets 0, 0, graph 0.1, 0

# Tics at the swept values only, named by the label column.
set xtics () nomirror
plot for [b = 1:nbackends] data index (b - 1) \
         using (column('x')):(column('y')):(column('lo')):(column('hi')) \
         with yerrorlines lt b title word(backends, b), \
     for [b = 1:nbackends] data index (b - 1) \
         using (column('x')):(NaN):xtic(stringcolumn('label')) notitle
