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
# Layout and variables: bars.gp and common.gp (logy, ymin as there).

if (!exists("title")) title = 'published vs measured'
refline = 0

lastslash(s, i) = (i < 1) ? 0 : (s[i:i] eq '/' ? i : lastslash(s, i - 1))
here = (lastslash(ARG0, strlen(ARG0)) > 0) ? ARG0[1:lastslash(ARG0, strlen(ARG0)) - 1] : '.'
load here.'/common.gp'

set ylabel "each part in its own unit (ratio, fraction, count)\n(measured: median; error bars: its interval)"
set xlabel 'part of the claim'
load here.'/bars.gp'
