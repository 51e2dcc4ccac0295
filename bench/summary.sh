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
# routed_max DIR: the last step, from the lowest up, that SIPp passed with at least 99.9% of its calls
# answered by an agent (callroute; its verify files).
routed_max() {
  local m=0 f r
  for f in $(ls -v "$1"/r[0-9]*/verify 2>/dev/null); do
    r=${f%/verify}; r=${r##*/r}
    [ "$r" -le "$(cat "$1/max_rate" 2>/dev/null || echo 0)" ] || break
    awk '{exit !($2 > 0 && ($4+$5) >= 0.999*$2)}' "$f" || break
    m=$r
  done
  echo $m
}
row() { # row TARGET LABEL DIR RATE
  local t=$1 d=$3 max=$4 share="-"
  if [ "$max" = 0 ]; then echo "| $t | $2 | none | - | - | - |"; return; fi
  [ "$t" = callroute ] && share=$(agent_share "$d/r$max")
  echo "| $t | $2 | $(field "$d/r$max/res" 7) calls/s (step $max) | $share | $(field "$d/r$max/res" 13)% | $(field "$d/r$max/res" 14) / $(field "$d/r$max/res" 15) MB |"
}
echo "| target | criterion | highest rate | calls answered by an agent there | CPU there | peak PSS / RSS there |"
echo "|---|---|---|---|---|---|"
for t in callroute kamailio floor; do
  d=$R/$t
  [ -d "$d" ] || continue
  row "$t" "0 failed calls" "$d" "$(cat "$d/max_rate" 2>/dev/null || echo 0)"
  [ "$t" = callroute ] && row "$t" "0 failed, >= 99.9% answered by an agent" "$d" "$(routed_max "$d")"
done
echo
echo "| target | probe | failed | answered by an agent | INVITE->ringing p50 / p90 / p99 | answer->200 p50 / p90 / p99 | INVITE->200 p50 / p90 / p99 | CPU | PSS |"
echo "|---|---|---|---|---|---|---|---|---|"
for t in callroute kamailio floor; do
  for lat in $(ls -dv "$R/$t"/lat* 2>/dev/null); do
    [ -f "$lat/res_lat" ] || continue
    read -r nr r50 r90 r99 na x50 x90 x99 ni i50 i90 i99 < "$lat/res_lat"
    ans="$x50 / $x90 / $x99 ms"; [ "$t" = floor ] && ans="-"
    share="-"; [ "$t" = callroute ] && share=$(agent_share "$lat")
    echo "| $t | ${lat##*/lat} calls/s, $(field "$lat/res" 2) calls | $(field "$lat/res" 4) | $share | $r50 / $r90 / $r99 ms | $ans | $i50 / $i90 / $i99 ms | $(field "$lat/res" 13)% | $(field "$lat/res" 14) MB |"
  done
done
cat <<'EOF'

"Highest rate" is the last step of the ramp in which SIPp saw every call succeed (none failed, at least
95% of the rate achieved). The latencies come from the fixed-rate probes, run before the ramp and
captured with tcpdump on the caller's and the phones' ports (microsecond resolution); answer->200 is from
the phone's 200 leaving the phones' SIPp to the caller's 200 reaching the callers' SIPp. For callroute, "answered by an agent" counts
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
