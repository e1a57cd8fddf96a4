# common.gp - terminal, output, titles and backend colours shared by every
# heaplab chart.
#
# Loaded by each chart script (plots/<kind>.gp) before it draws.  Variables,
# given with gnuplot -e "name='value'" by heaplab plot (harness/plot.c) or by
# hand:
#
#   out       output file (required)
#   term      'pngcairo' (default) or 'svg'
#   title     first title line: what the chart shows
#   subtitle  second title line: suite | machine | date (optional)
#   footnote  one line at the bottom left: what was left out (optional)
#   width, height   canvas size in pixels (defaults 1000 x 600)
#   backends  the backends, as gnuplot words: '"system" "pool"'; data files
#             refer to backend i (1-based) of this list
#   colours   one '#RRGGBB' per backend, same order: '#000000 #0072B2'
#   points    one gnuplot point type per backend: '9 7'
#
# heaplab passes colours and points from its fixed table (harness/palette.h):
# a backend has the same colour in every chart and every run.  Without them
# the backends get the Okabe & Ito colour-blind-safe palette in list order.
#
# Every text is printed literally (noenhanced): workload and backend names
# contain underscores that enhanced mode would turn into subscripts.

if (!exists("out")) { print "heaplab plots: set out='FILE' (gnuplot -e \"out='x.png'\")"; exit status 2 }
if (!exists("term")) term = 'pngcairo'
if (!exists("title")) title = ''
if (!exists("subtitle")) subtitle = ''
if (!exists("footnote")) footnote = ''
if (!exists("width")) width = 1000
if (!exists("height")) height = 600
if (!exists("backends")) backends = ''

set encoding utf8
if (term eq 'svg') {
    set terminal svg size width, height fixed font 'Sans,12' background rgb 'white' noenhanced
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

fulltitle = (strlen(subtitle) > 0) ? title."\n".subtitle : title
set title fulltitle font ',12'

# Okabe & Ito, "Color Universal Design" (2008): the fallback, in list order.
set linetype 1 lc rgb '#0072B2' lw 2 pt 7 ps 1.0
set linetype 2 lc rgb '#E69F00' lw 2 pt 5 ps 1.0
set linetype 3 lc rgb '#009E73' lw 2 pt 9 ps 1.2
set linetype 4 lc rgb '#CC79A7' lw 2 pt 11 ps 1.2
set linetype 5 lc rgb '#56B4E9' lw 2 pt 13 ps 1.2
set linetype 6 lc rgb '#D55E00' lw 2 pt 3 ps 1.2
set linetype 7 lc rgb '#000000' lw 2 pt 1 ps 1.2
set linetype 8 lc rgb '#F0E442' lw 2 pt 2 ps 1.2
set linetype cycle 8
# Backend i is linetype i: its colour and point shape from heaplab's table.
if (exists("colours")) {
    do for [i = 1:words(colours)] {
        set linetype i lc rgb word(colours, i) lw 2 ps 1.1
        if (exists("points") && words(points) >= i) { set linetype i pt int(word(points, i)) }
    }
    set linetype cycle words(colours) > 0 ? words(colours) : 8
}
nbackends = words(backends)

if (strlen(footnote) > 0) {
    set label 99 footnote at screen 0.01, screen 0.012 left font ',9' textcolor rgb '#444444'
}

set grid ytics lc rgb '#dddddd' lw 1 dt 1
set border 3 lw 1
set tics nomirror
set key noenhanced
set datafile missing '?'
set datafile columnheaders
set style textbox opaque fillcolor rgb 'white' noborder margins 1, 1
