# overhead.gp - memory overhead: resident bytes the process needed per byte
# the workload had live, net of the RSS the process had at start-up,
# (peak RSS - start-up RSS) / peak live bytes, one panel per family of
# workloads, a cluster per workload, one bar per backend.  1.0 would mean
# every resident byte held live data; the rest is allocator metadata,
# fragmentation and free memory not returned to the OS.  Lower is better.
#
#   gnuplot -e "data='overhead.dat'" -e "out='overhead.png'" \
#           -e "backends='\"system\" \"pool\"'" -e "colours='#000000 #0072B2'" \
#           -e "panels='\"object layer\"'" plots/overhead.gp
#
# heaplab leaves out workloads whose peak live set is below 1 MiB (their
# ratio measures the process, not the allocator) and names them in the
# footnote.  Data layout and the other variables: panels.gp and common.gp.

if (!exists("title")) title = 'Memory overhead: resident bytes per live byte'
if (!exists("clip")) clip = 6
refline = 1

lastslash(s, i) = (i < 1) ? 0 : (s[i:i] eq '/' ? i : lastslash(s, i - 1))
here = (lastslash(ARG0, strlen(ARG0)) > 0) ? ARG0[1:lastslash(ARG0, strlen(ARG0)) - 1] : '.'
load here.'/common.gp'

ylab = "resident bytes per live byte\n(net of start-up RSS)"
load here.'/panels.gp'
