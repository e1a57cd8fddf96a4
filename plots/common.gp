# common.gp - terminal, output and title set-up shared by every heaplab chart.
#
# Loaded by each chart script (plots/<kind>.gp) before it draws.  Variables,
# given with gnuplot -e "name='value'" by heaplab plot (harness/plot.c) or by
# hand:
#
#   out       output file (required)
#   term      'pngcairo' (default) or 'svg'
#   title     first title line: what the chart shows
#   subtitle  second title line: suite | machine | date (optional)
#   width, height   canvas size in pixels (defaults 1000 x 600)
#
# Every text is printed literally (noenhanced): workload and backend names
# contain underscores that enhanced mode would turn into subscripts.

if (!exists("out")) { print "heaplab plots: set out='FILE' (gnuplot -e \"out='x.png'\")"; exit status 2 }
if (!exists("term")) term = 'pngcairo'
if (!exists("title")) title = ''
if (!exists("subtitle")) subtitle = ''
if (!exists("width")) width = 1000
if (!exists("height")) height = 600

if (term eq 'svg') {
    set terminal svg size width, height dynamic font 'Sans,12' background rgb 'white' noenhanced
} else {
    if (term eq 'pngcairo') {
        set terminal pngcairo size width, height font 'Sans,10' background rgb 'white' noenhanced
    } else {
        print "heaplab plots: term must be 'pngcairo' or 'svg', not '".term."'"
        exit status 2
    }
}
set output out
set termoption noenhanced

if (strlen(subtitle) > 0) {
    set title title."\n".subtitle font ',12'
} else {
    set title title font ',12'
}

# A colour-blind-safe palette (Okabe & Ito, "Color Universal Design", 2008),
# one colour per backend, in the order the data files list them.
set linetype 1 lc rgb '#0072B2' lw 2 pt 7 ps 1.0
set linetype 2 lc rgb '#E69F00' lw 2 pt 5 ps 1.0
set linetype 3 lc rgb '#009E73' lw 2 pt 9 ps 1.2
set linetype 4 lc rgb '#CC79A7' lw 2 pt 11 ps 1.2
set linetype 5 lc rgb '#56B4E9' lw 2 pt 13 ps 1.2
set linetype 6 lc rgb '#D55E00' lw 2 pt 3 ps 1.2
set linetype 7 lc rgb '#000000' lw 2 pt 1 ps 1.2
set linetype 8 lc rgb '#F0E442' lw 2 pt 2 ps 1.2
set linetype cycle 8

set grid ytics lc rgb '#dddddd' lw 1 dt 1
set border 3 lw 1
set tics nomirror
set key noenhanced
set datafile missing '?'
set datafile columnheaders
