# cow.gp - copy-on-write after fork: memory each forked child of the
# fork_cow workload dirtied (Private_Dirty from /proc/PID/smaps_rollup) for
# each way of keeping refcount and GC writes off the parent's objects
# (mode: plain, GC disabled, frozen heap, immortal heap), one cluster per
# mode, one bar per backend.  Lower means more pages stayed shared.
#
#   gnuplot -e "data='cow.dat'" -e "out='cow.png'" plots/cow.gp
#
# Bars are the mean over the children of one repetition (median over the
# repetitions); error bars run from the smallest to the largest child of any
# repetition.  Data layout and the other variables: bars.gp and common.gp.
# Extra variable:
#   children   children forked per repetition, for the y label (0: unknown)

if (!exists("title")) title = 'Copy-on-write: memory dirtied by each forked child'
if (!exists("children")) children = 0

lastslash(s, i) = (i < 1) ? 0 : (s[i:i] eq '/' ? i : lastslash(s, i - 1))
here = (lastslash(ARG0, strlen(ARG0)) > 0) ? ARG0[1:lastslash(ARG0, strlen(ARG0)) - 1] : '.'
load here.'/common.gp'

if (children > 0) {
    set ylabel sprintf("Private_Dirty per forked child (KiB)\n(mean of %d children, median of repetitions; error bars: min..max child)", children)
} else {
    set ylabel "Private_Dirty per forked child (KiB)\n(mean of the children, median of repetitions; error bars: min..max child)"
}
set xlabel 'how the parent protected its objects before fork (fork_cow mode)'
load here.'/bars.gp'
