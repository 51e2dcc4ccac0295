#!/usr/bin/env bash
# summary.sh RESULTS_DIR: the markdown summary of one run.sh run (also written to RESULTS_DIR/summary.md).
set -uo pipefail
R=${1:?usage: summary.sh RESULTS_DIR}
field() { awk -v i="$2" '{print $i}' "$1" 2>/dev/null; }

echo "# Call-rate bench $(basename "$R")"
echo
sed 's/^/    /' "$R/machine.txt" 2>/dev/null
echo
echo "| target | highest rate, 0 failed | INVITE->ringing p50 / p99 | answer->200 p50 / p99 | INVITE->200 p50 / p99 | CPU at that rate | peak PSS at that rate | CPU / PSS at the probe |"
echo "|---|---|---|---|---|---|---|---|"
for t in callroute kamailio floor; do
  d=$R/$t
  [ -d "$d" ] || continue
  max=$(cat "$d/max_rate" 2>/dev/null || echo 0)
  if [ "$t" = callroute ] && [ "$max" != 0 ]; then
    # callroute's rate also needs every call recorded and answered by an agent (verify.txt)
    ok=0
    for rr in $(ls -d "$d"/r[0-9]* 2>/dev/null | sed 's/.*\/r//' | sort -n); do
      v=$(awk '{print $NF}' "$d/r$rr/verify" 2>/dev/null)
      [ "$rr" -le "$max" ] && [ "$v" = ok ] && ok=$rr
    done
    max=$ok
  fi
  ach="-"; cpu="-"; pss="-"
  if [ "$max" != 0 ]; then
    ach="$(field "$d/r$max/res" 7) calls/s"; cpu="$(field "$d/r$max/res" 13)%"; pss="$(field "$d/r$max/res" 14) MB"
  fi
  lat=$(ls -d "$d"/lat* 2>/dev/null | head -1)
  ring="-"; ans="-"; inv="-"; probe="-"
  if [ -n "$lat" ] && [ -f "$lat/res_lat" ]; then
    read -r nr r50 r90 r99 na x50 x90 x99 ni i50 i90 i99 < "$lat/res_lat"
    ring="$r50 / $r99 ms"; inv="$i50 / $i99 ms"
    [ "$t" = floor ] || ans="$x50 / $x99 ms"
    fails=$(field "$lat/res" 4)
    probe="$(field "$lat/res" 13)% / $(field "$lat/res" 14) MB at ${lat##*/lat} calls/s ($fails failed)"
  fi
  echo "| $t | $ach | $ring | $ans | $inv | $cpu | $pss | $probe |"
done
echo
echo "Latencies are from the probe (tcpdump, microseconds); \"highest rate\" is the last step with every call"
echo "successful (callroute: and recorded, and answered by an agent). The steps:"
for t in callroute kamailio floor; do
  [ -f "$R/$t/table.txt" ] || continue
  echo
  echo "## $t"
  echo
  echo '```'
  grep -v '^# ' "$R/$t/table.txt"
  [ -f "$R/$t/verify.txt" ] && { echo; cat "$R/$t/verify.txt"; }
  echo '```'
done
