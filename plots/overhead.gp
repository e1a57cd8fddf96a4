# overhead.gp - memory overhead of each cell: peak RSS divided by the peak
# of the bytes the workload had live (requested and not yet freed), one
# cluster per workload, one bar per backend.  1.0 would mean every resident
# byte held live data; the rest is allocator metadata, fragmentation, free
# memory not returned to the OS, and the process's own baseline (code,
# stacks, libraries), which dominates small workloads.
#
#   gnuplot -e "data='overhead.dat'" -e "out='overhead.png'" plots/overhead.gp
#
# Data layout and the other variables: bars.gp and common.gp.

if (!exists("title")) title = 'Memory overhead: peak RSS / peak live bytes'
refline = 1

lastslash(s, i) = (i < 1) ? 0 : (s[i:i] eq '/' ? i : lastslash(s, i - 1))
here = (lastslash(ARG0, strlen(ARG0)) > 0) ? ARG0[1:lastslash(ARG0, strlen(ARG0)) - 1] : '.'
load here.'/common.gp'

set ylabel "peak RSS / peak live bytes (x)\n(median of repetitions; error bars: min..max; lower is better)"
set xlabel 'workload'
load here.'/bars.gp'
