# inspect.gp - the memory timeline of one `heaplab inspect` run, in the
# manner of memory_profiler's `mprof plot`: resident memory (net of the
# RSS the process had when the inspection started) and the bytes the
# workload had live, over time, with the workload's peak, the phases of the
# run (set-up and verify/tear-down shaded grey), the points' inspections
# (shaded orange: their own tables count in the RSS there), and every
# collection marked under the axis by generation; below it
# gc.get_count()[0], the saw-tooth that triggers generation-0 collections,
# against its threshold.
#
#   gnuplot -e "timeline='DIR/timeline.csv'" -e "events='DIR/gc_events.csv'" \
#           -e "counts='DIR/gc_count.csv'" -e "points='DIR/points.csv'" \
#           -e "out='timeline.png'" -e "rss_base=4194304" -e "setup_end=0.01" \
#           -e "run_end=0.5" -e "verify_end=0.51" -e "end=0.52" plots/inspect.gp
#
# Files (written by harness/inspect_out.c), comma separated, header row:
#   timeline  t_s,rss_bytes,live_bytes
#   events    t_s,iteration,generation,pause_ns,collected,by   (by: workload|inspect)
#   counts    t_s,iteration,count0,count1,count2
#   points    point,iteration,t_s,cost_s
# Variables (besides those of common.gp): the four files; rss_base (bytes);
# setup_end, run_end, verify_end, end (s); peak_t, peak (bytes) for the
# peak's label; threshold0 (gc.get_threshold()[0]).

if (!exists("timeline")) { print "heaplab plots: set timeline='FILE'"; exit status 2 }
if (!exists("rss_base")) rss_base = 0
if (!exists("setup_end")) setup_end = 0
if (!exists("run_end")) run_end = 0
if (!exists("verify_end")) verify_end = run_end
if (!exists("end")) end = verify_end
if (!exists("peak")) peak = 0
if (!exists("peak_t")) peak_t = 0
if (!exists("threshold0")) threshold0 = 0
if (!exists("height")) height = 720
if (!exists("title")) title = 'heaplab inspect: memory over the run'

lastslash(s, i) = (i < 1) ? 0 : (s[i:i] eq '/' ? i : lastslash(s, i - 1))
here = (lastslash(ARG0, strlen(ARG0)) > 0) ? ARG0[1:lastslash(ARG0, strlen(ARG0)) - 1] : '.'
load here.'/common.gp'
set datafile separator ','

MiB = 1024.0 * 1024.0
stats timeline using (($2 - rss_base) / MiB) nooutput
top = (STATS_max > 0 ? STATS_max : 1) * 1.3
band = top * 0.05
stats timeline using 1 nooutput
xmax = (end > 0) ? end : STATS_max

set multiplot title fulltitle font ',12'
unset title

# ---- memory --------------------------------------------------------------
set origin 0, 0.31
set size 1, 0.58
set lmargin 12
set rmargin 4
set xrange [0:xmax]
set yrange [-4 * band : top]
set ytics 0, (top > 5 ? int(top / 5) : top / 5) nomirror
set format x ''
unset xlabel
set ylabel "MiB\n(RSS: net of start-up RSS)"
set grid xtics ytics lc rgb '#dddddd'
set key at screen 0.5, screen 0.925 center top horizontal maxrows 2 samplen 2 noopaque nobox \
    font ',9'

# set-up, and verify + tear-down, shaded grey; the run is white
set object 1 rect from 0, graph 0 to setup_end, graph 1 fc rgb '#e8e8e8' fs solid noborder behind
set object 2 rect from run_end, graph 0 to end, graph 1 fc rgb '#e8e8e8' fs solid noborder behind
if (peak > 0) {
    set label 4 sprintf('peak %.1f MiB', (peak - rss_base) / MiB) at peak_t, (peak - rss_base) / MiB \
        point pt 9 ps 1.4 lc rgb '#D55E00' offset 0.8, 0.8 font ',9'
}
set label 5 'collections' at graph 0, first -2 * band right offset -0.5, 0 font ',8'
# one row of marks per generation under the axis, the inspection's own
# (show_growth's full collections) in black
gy(g) = -(g + 1) * band
gen(col) = int(column(col))
plot points using ($3 + $4 / 2):(top / 2 - 2 * band):($4 / 2):(top / 2 + 2 * band) \
         with boxxyerror fs solid 0.35 noborder fc rgb '#E69F00' title 'inspecting a point', \
     points using 3:(top):(sprintf('p%d', $1)) with labels left offset 0.2, -0.7 font ',9' \
         textcolor rgb '#8a4b00' notitle, \
     timeline using 1:(($2 - rss_base) / MiB) with lines lw 2 lc rgb '#0072B2' title 'RSS', \
     '' using 1:($3 / MiB) with lines lw 1.5 dt 2 lc rgb '#009E73' title 'live bytes', \
     events using 1:(strcol(6) eq 'workload' ? gy(gen(3)) : NaN):(gen(3) + 1) \
         with points pt 2 ps 0.9 lc variable notitle, \
     events using 1:(strcol(6) eq 'inspect' ? gy(3) : NaN) \
         with points pt 9 ps 1.0 lc rgb '#000000' title "show_growth's collection", \
     keyentry with points pt 2 lc 1 title 'gen-0 collection', \
     keyentry with points pt 2 lc 2 title 'gen 1', \
     keyentry with points pt 2 lc 3 title 'gen 2', \
     keyentry with boxes fs solid noborder fc rgb '#e8e8e8' title 'set-up / verify, tear-down'

# ---- gc.get_count() ---------------------------------------------------------
unset object 1
unset object 2
unset label
unset key
set origin 0, 0.02
set size 1, 0.3
set yrange [0:*]
set ytics autofreq
set format x '%g'
set xlabel 'time since the inspection started (s)'
set ylabel "gc.get_count()[0]\n(gen-0 trigger)"
if (threshold0 > 0) {
    set arrow 1 from graph 0, first threshold0 to graph 1, first threshold0 nohead dt 2 lc rgb '#D55E00'
    set label 6 sprintf('threshold %d', threshold0) at graph 1, first threshold0 right offset -0.5, 0.6 \
        font ',8' textcolor rgb '#D55E00'
}
plot counts using 1:3 with steps lw 1.2 lc rgb '#333333' notitle
unset multiplot
