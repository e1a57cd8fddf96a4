# scaling.gp - thread scaling of one threaded workload: throughput of all
# threads together against the thread count (instructions per operation in
# instructions mode), one line per backend.
#
#   gnuplot -e "data='scaling-larson.dat'" -e "out='scaling-larson.png'" \
#           -e "backends='\"system\" \"pool\"'" -e "colours='#000000 #0072B2'" \
#           -e "ylab='million free+malloc / s'" plots/scaling.gp
#
# Points are medians over repetitions with the interval of the median.
# Data layout and variables: lines.gp and common.gp.

if (!exists("title")) title = 'Thread scaling'
if (!exists("xlab")) xlab = 'threads'

lastslash(s, i) = (i < 1) ? 0 : (s[i:i] eq '/' ? i : lastslash(s, i - 1))
here = (lastslash(ARG0, strlen(ARG0)) > 0) ? ARG0[1:lastslash(ARG0, strlen(ARG0)) - 1] : '.'
load here.'/common.gp'
load here.'/lines.gp'
