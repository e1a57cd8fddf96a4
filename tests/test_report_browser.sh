#!/bin/sh
# test_report_browser.sh - report.html in a real browser: headless Chromium
# loads the page heaplab plot writes for the fixture result set, every chart
# must have been fetched and decoded with a non-zero size, and a screenshot
# of the page is taken (OUT/report.png, kept for a reader of the CI run).
#
#   tests/test_report_browser.sh HEAPLAB FIXTURE OUT
#
# How the charts are checked: the page itself has no script, so the test
# loads a copy of it (report-probe.html, next to it so that the relative
# chart paths resolve) with one probe appended: after the load event it
# writes each image's natural size into an attribute, and --dump-dom prints
# the document as the browser ended up with it.
#
# Exit 77 (skipped, ctest's SKIP_RETURN_CODE) without Chromium or gnuplot;
# Debian: apt-get install chromium gnuplot-nox.
set -eu
heaplab=$1
fixture=$2
out=$3

chromium=""
for c in chromium chromium-browser; do
    if command -v "$c" >/dev/null 2>&1; then chromium=$(command -v "$c"); break; fi
done
if [ -z "$chromium" ]; then
    echo "skipped: chromium is not installed (Debian: apt-get install chromium)"
    exit 77
fi
if ! command -v gnuplot >/dev/null 2>&1; then
    echo "skipped: gnuplot is not installed (Debian: apt-get install gnuplot-nox)"
    exit 77
fi

rm -rf "$out"
mkdir -p "$out"
cp -r "$fixture" "$out/set"
"$heaplab" plot "$out/set" --format svg --quiet

# A fresh profile each run, nothing fetched from the network, no GPU.
browse() {
    rm -rf "$out/profile"
    timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update \
        --disable-sync --user-data-dir="$out/profile" "$@" 2>"$out/chromium.stderr"
}

sed 's#</body>#<script>window.addEventListener("load", function () {\
  var im = document.images;\
  for (var i = 0; i < im.length; i++) {\
    var r = im[i].getBoundingClientRect();\
    im[i].setAttribute("data-probe", im[i].complete \&\& im[i].naturalWidth > 0 \&\& r.width > 0 \&\& r.height > 0\
      ? "ok " + im[i].naturalWidth + "x" + im[i].naturalHeight : "broken");\
  }\
  document.body.setAttribute("data-probe-done", String(im.length));\
});</script></body>#' "$out/set/report.html" >"$out/set/report-probe.html"

browse --window-size=1400,1000 --virtual-time-budget=10000 --dump-dom \
    "file://$out/set/report-probe.html" >"$out/dom.html"

charts=$(ls "$out/set/plots/"*.svg | wc -l)
done_n=$(sed -n 's/.*data-probe-done="\([0-9]*\)".*/\1/p' "$out/dom.html" | head -n 1)
# a chart's natural size is its canvas (at least 300 x 200 px: the SVGs
# carry their size, as the page's layout needs)
ok_n=$(grep -o 'data-probe="ok [0-9]*x[0-9]*"' "$out/dom.html" |
       sed 's/.*ok \([0-9]*\)x\([0-9]*\)"/\1 \2/' | awk '$1 >= 300 && $2 >= 200' | wc -l)
broken_n=$(grep -o 'data-probe="broken"' "$out/dom.html" | wc -l)
fail=0
if [ "$charts" -lt 9 ]; then
    echo "FAIL: only $charts charts were drawn"; fail=1
fi
if [ "${done_n:-}" != "$charts" ]; then
    echo "FAIL: the page has ${done_n:-no} images after load, the set has $charts charts"; fail=1
fi
if [ "$ok_n" -ne "$charts" ] || [ "$broken_n" -ne 0 ]; then
    echo "FAIL: $ok_n of $charts charts rendered, $broken_n broken"
    grep -o '<img src="[^"]*"[^>]*data-probe="broken"' "$out/dom.html" || true
    fail=1
fi

# The screenshot: a PNG of the page as a reader sees it.
browse --window-size=1400,1800 --hide-scrollbars --screenshot="$out/report.png" \
    "file://$out/set/report.html" >/dev/null
sig=$(od -An -tx1 -N8 "$out/report.png" 2>/dev/null | tr -d ' \n')
size=$(wc -c <"$out/report.png" 2>/dev/null || echo 0)
if [ "$sig" != "89504e470d0a1a0a" ] || [ "$size" -lt 10000 ]; then
    echo "FAIL: no screenshot ($out/report.png: signature '$sig', $size bytes)"; fail=1
fi

if [ "$fail" -ne 0 ]; then
    echo "chromium's stderr: $out/chromium.stderr"
    echo "0 passed, 1 failed"
    exit 1
fi
echo "ok   report_html_in_chromium: $ok_n of $charts charts rendered; screenshot $out/report.png"
echo "1 passed, 0 failed"
