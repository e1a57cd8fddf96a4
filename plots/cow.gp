# cow.gp - copy-on-write after fork: memory each forked child of the
# fork_cow workload dirtied (Private_Dirty from /proc/PID/smaps_rollup) for
# each way of keeping refcount and GC writes off the parent's objects
# (mode: plain, GC disabled, frozen heap, immortal heap), one cluster per
# mode, one bar per backend.  Lower means more pages stayed shared.
#
#   gnuplot -e "data='cow.dat'" -e "out='cow.png'" \
#           -e "backends='\"system\" \"pool\"'" -e "colours='#000000 #0072B2'" plots/cow.gp
#
# Bars are the median over repetitions of the mean over the children of
# one repetition; error bars the interval of that median.  Data layout and
# the other variables: panels.gp and common.gp.  Extra variable:
#   children   children forked per repetition, for the y label (0: unknown)

if (!exists("title")) title = 'Copy-on-write: memory dirtied by each forked child'
if (!exists("children")) children = 0
if (!exists("panels")) panels = '"fork_cow mode"'
values = 1
clip = 0

lastslash(s, i) = (i < 1) ? 0 : (s[i:i] eq '/' ? i : lastslash(s, i - 1))
here = (lastslash(ARG0, strlen(ARG0)) > 0) ? ARG0[1:lastslash(ARG0, strlen(ARG0)) - 1] : '.'
load here.'/common.gp'

if (children > 0) {
    ylab = sprintf("Private_Dirty per forked child (KiB)\nmean of %d children, lower is better", children)
} else {
    ylab = "Private_Dirty per forked child (KiB)\nmean of the children, lower is better"
}
load here.'/panels.gp'
