# reltime.gp - time (or instructions) per operation of each backend
# relative to a reference backend, in the manner of mimalloc's published
# charts: one panel per family of workloads, a cluster of bars per
# workload, the reference at 1.0, a linear axis from 0 clipped at `clip`
# (bars beyond it are cut and carry their true value).  Lower is better.
#
#   gnuplot -e "data='reltime.dat'" -e "out='reltime.png'" \
#           -e "backends='\"system\" \"pool\"'" -e "colours='#000000 #0072B2'" \
#           -e "panels='\"object layer\"'" plots/reltime.gp
#
# Bars are the median over rounds of value / reference's value in the same
# round; error bars the interval of those ratios (harness/ranking.h).  Data
# layout and the other variables: panels.gp and common.gp.  Extra:
#   metric     'time per operation' (default) or 'instructions per operation'
#   reference  the reference backend; '' when each workload's is its
#              fastest non-debug backend (named under the workload)
#   clip       where the axis is cut (default 2.5)

if (!exists("metric")) metric = 'time per operation'
if (!exists("reference")) reference = ''
if (!exists("clip")) clip = 2.5
if (!exists("title")) title = metric.' relative to a reference backend'
refline = 1

lastslash(s, i) = (i < 1) ? 0 : (s[i:i] eq '/' ? i : lastslash(s, i - 1))
here = (lastslash(ARG0, strlen(ARG0)) > 0) ? ARG0[1:lastslash(ARG0, strlen(ARG0)) - 1] : '.'
load here.'/common.gp'

ylab = (strlen(reference) > 0) ? sprintf("x %s (lower is better)", reference) \
                               : "x the reference (lower is better)"
load here.'/panels.gp'
