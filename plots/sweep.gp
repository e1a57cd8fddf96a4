# sweep.gp - one workload at several values of one of its parameters
# (heaplab run --param size=16,64,256): time (or instructions) per
# operation against the parameter, one line per backend, every other
# parameter and the thread count fixed.
#
#   gnuplot -e "data='sweep-pairs-size.dat'" -e "out='sweep-pairs-size.png'" \
#           -e "backends='\"system\" \"pool\"'" -e "colours='#000000 #0072B2'" \
#           -e "xlab='size'" -e "ylab='ns per alloc+free'" -e "logx=1" plots/sweep.gp
#
# Points are medians over repetitions with the interval of the median.
# Data layout and variables: lines.gp and common.gp.

if (!exists("title")) title = 'Parameter sweep'

lastslash(s, i) = (i < 1) ? 0 : (s[i:i] eq '/' ? i : lastslash(s, i - 1))
here = (lastslash(ARG0, strlen(ARG0)) > 0) ? ARG0[1:lastslash(ARG0, strlen(ARG0)) - 1] : '.'
load here.'/common.gp'
load here.'/lines.gp'
