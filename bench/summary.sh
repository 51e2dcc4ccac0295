#!/usr/bin/env bash
# summary.sh RESULTS_DIR: the markdown summary of one run.sh run (run.sh writes it to RESULTS_DIR/summary.md).
set -uo pipefail
R=${1:?usage: summary.sh RESULTS_DIR}
field() { awk -v i="$2" '{print $i}' "$1" 2>/dev/null; }
# agent_share DIR: "N of M (P%)" calls answered by an agent (owner or desk, not the queue) in a step, from
# its verify line (placed recorded owner desk queued other ...).
agent_share() {
  [ -f "$1/verify" ] || { echo "-"; return; }
  awk '{a=$4+$5; printf "%d of %d (%.2f%%)", a, $2, ($2 ? 100*a/$2 : 0)}' "$1/verify"
}

echo "# Call-rate bench $(basename "$R")"
echo
sed 's/^/    /' "$R/machine.txt" 2>/dev/null
echo
echo "| target | highest rate with 0 failed calls | answered by an agent there | INVITE->ringing p50 / p90 / p99 | answer->200 p50 / p99 | INVITE->200 p50 / p99 | CPU / peak PSS there | at the probe: calls answered by an agent, CPU, PSS |"
echo "|---|---|---|---|---|---|---|---|"
for t in callroute kamailio floor; do
  d=$R/$t
  [ -d "$d" ] || continue
  max=$(cat "$d/max_rate" 2>/dev/null || echo 0)
  ach="-"; cpu="-"; share="-"
  if [ "$max" != 0 ]; then
    ach="$(field "$d/r$max/res" 7) calls/s (step $max)"
    cpu="$(field "$d/r$max/res" 13)% / $(field "$d/r$max/res" 14) MB"
    [ "$t" = callroute ] && share=$(agent_share "$d/r$max")
  fi
  lat=$(ls -d "$d"/lat* 2>/dev/null | head -1)
  ring="-"; ans="-"; inv="-"; probe="-"
  if [ -n "$lat" ] && [ -f "$lat/res_lat" ]; then
    read -r nr r50 r90 r99 na x50 x90 x99 ni i50 i90 i99 < "$lat/res_lat"
    ring="$r50 / $r90 / $r99 ms"; inv="$i50 / $i99 ms"
    [ "$t" = floor ] || ans="$x50 / $x99 ms"
    probe="$(field "$lat/res" 4) failed"
    [ "$t" = callroute ] && probe="$probe, $(agent_share "$lat")"
    probe="$probe, $(field "$lat/res" 13)%, $(field "$lat/res" 14) MB (${lat##*/lat} calls/s)"
  fi
  echo "| $t | $ach | $share | $ring | $ans | $inv | $cpu | $probe |"
done
cat <<'EOF'

"Highest rate" is the last step of the ramp in which SIPp saw every call succeed (none failed, at least
95% of the rate achieved). The latencies come from the fixed-rate probe, captured with tcpdump on the
caller's and the phones' ports (microsecond resolution); answer->200 is from the phone's 200 leaving the
phones' SIPp to the caller's 200 reaching the callers' SIPp. For callroute, "answered by an agent" counts
the calls whose interaction says an owner or a desk agent answered without the caller waiting in the desk
queue (from the client base, after the run).
EOF
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
