#!/usr/bin/env bash
# Call-rate steps against one target: SIPp UAC (caller IDs from data/callers.csv) -> TARGET -> SIPp UAS
# (every agent's phone, UAS_IP:UAS_PORT). run.sh calls it for callroute and for Kamailio; it can also be
# run alone against anything listening on loopback:
#
#   ./measure.sh HOST:PORT LABEL
#
# For each rate in $RATES: one SIPp run of min(rate*STEP_SECS, MAX_CALLS) calls with a hard time limit,
# then one table row: achieved calls/s, failed calls, retransmissions, INVITE->ringing (first 180/183) and
# INVITE->200 p50/p99 (SIPp -trace_rtt, 1 ms resolution), datagrams the kernel dropped at the target's
# SIP socket (its receive buffer was full: /proc/net/udp), CPU% and peak PSS/RSS of the target's processes
# (found by the UDP listener on PORT), CPU% of the SIPp UAC/UAS, "other" = CPU of everything else on the
# machine (background load), "busy" = all of it (200% = both cores). Steps stop at the first failing one.
# Before the ramp, a fixed-rate latency probe for each rate in LAT_RATE, captured with tcpdump on the UAC
# and UAS ports, gives with microsecond resolution INVITE->ringing, answer->200 (the phone's 200 leaving
# the UAS to the caller's 200 reaching the UAC) and INVITE->200, p50/p90/p99.
#
# Results: $OUT/lat<rate>/res and $OUT/r<rate>/res (one line, the fields of `read` below), $OUT/table.txt.
#
# Env: RATES STEP_SECS MAX_CALLS CALL_MS UAC_IP UAC_PORT UAS_IP UAS_PORT LAT_RATE LAT_CALLS STOP_ON_FAIL
#      SIPP_OPTS QUIET_MAX QUIET_WAIT RENICE INF OUT
# Loopback only (127.0.0.0/8). Every SIPp and tcpdump run is bounded by a call count and a timeout; the UAS
# this script starts is stopped at exit.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TARGET=${1:?usage: measure.sh HOST:PORT LABEL}
LABEL=${2:?usage: measure.sh HOST:PORT LABEL}
HOST=${TARGET%:*}; PORT=${TARGET##*:}
case "$HOST" in 127.*) ;; *) echo "refusing non-loopback target '$HOST'" >&2; exit 2 ;; esac
RATES=${RATES:-"500 750 1000 1250 1500 2000 2500 3000 4000 5000 6000 8000"}
STEP_SECS=${STEP_SECS:-10}
MAX_CALLS=${MAX_CALLS:-20000}
CALL_MS=${CALL_MS:-0}
UAC_IP=${UAC_IP:-$HOST}
UAC_PORT=${UAC_PORT:-5060}
UAS_IP=${UAS_IP:-$HOST}
UAS_PORT=${UAS_PORT:-5080}
LAT_RATE=${LAT_RATE:-"750 1000"}   # latency probes, one per rate; 0: none
LAT_CALLS=${LAT_CALLS:-10000}
STOP_ON_FAIL=${STOP_ON_FAIL:-1}
SIPP_OPTS=${SIPP_OPTS:-"-max_recv_loops 10000 -max_sched_loops 10000"}   # extra options for UAC and UAS
QUIET_MAX=${QUIET_MAX:-40}     # before each step wait until background CPU < QUIET_MAX % ...
QUIET_WAIT=${QUIET_WAIT:-60}   # ... but at most QUIET_WAIT seconds
RENICE=${RENICE--20}   # nice (and autogroup nice) of UAC/UAS/target against unrelated load; "" disables
INF=${INF:-$HERE/data/callers.csv}
OUT=${OUT:-$HERE/results/$LABEL-$(date +%Y%m%d-%H%M%S)}
SCN=$HERE/scenarios
BUF=4194304
HZ=$(getconf CLK_TCK)
mkdir -p "$OUT"
# SIPp wants more descriptors than calls it keeps open (-l); root may raise the hard limit.
ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ -s "$INF" ] || { echo "missing $INF (run ./gen_data.sh)" >&2; exit 2; }
command -v sipp >/dev/null || { echo "sipp not installed (apt-get install sip-tester)" >&2; exit 2; }
case "$UAC_IP$UAS_IP" in 127.*127.*) ;; *) echo "UAC_IP and UAS_IP must be loopback" >&2; exit 2 ;; esac

# ---------- process helpers ----------
listener_pid() { # listener_pid IP PORT: first pid with a UDP socket bound to IP:PORT (or wildcard:PORT)
  ss -Hlunp 2>/dev/null | awk -v a="$1:$2" -v w1="0.0.0.0:$2" -v w2="*:$2" '$4==a||$4==w1||$4==w2' \
    | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2
}
tree_root() { # climb parents that have the same command name (kamailio children -> main)
  local p=$1 pp
  while :; do
    pp=$(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ')
    [ -n "$pp" ] && [ "$pp" != 1 ] && [ "$(ps -o comm= -p "$pp")" = "$(ps -o comm= -p "$p")" ] || break
    p=$pp
  done
  echo "$p"
}
tree_pids() { local p c; for p in "$@"; do echo "$p"; for c in $(ps -o pid= --ppid "$p"); do tree_pids "$c"; done; done; }
cpu_ticks() { # utime+stime of the given pids
  local s=0 p f
  for p in "$@"; do f=$(cat /proc/"$p"/stat 2>/dev/null) || continue; f=${f##*) }; set -- $f; s=$((s + ${12} + ${13})); done
  echo $s
}
mem_kb() { # "PSS RSS" of the given pids, kB
  local s=0 r=0 p a b
  for p in "$@"; do
    read -r a b < <(awk '/^Rss:/{r=$2} /^Pss:/{s=$2} END{print s+0, r+0}' /proc/"$p"/smaps_rollup 2>/dev/null) || continue
    s=$((s + ${a:-0})); r=$((r + ${b:-0}))
  done
  echo "$s $r"
}
# Whole-machine CPU: cgroup-v1 cpuacct.usage (ns, precise) if present, else /proc/stat (tick-sampled).
# Returned in clock ticks so it can be combined with /proc/<pid>/stat values.
CPUACCT=/sys/fs/cgroup/cpuacct/cpuacct.usage; [ -r "$CPUACCT" ] || CPUACCT=/sys/fs/cgroup/cpuacct.usage
all_ticks() {
  if [ -r "$CPUACCT" ]; then echo $(( $(cat "$CPUACCT") * HZ / 1000000000 ))
  else awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; fi
}
# Time the hypervisor ran something else on this machine's vCPUs (steal, /proc/stat), in clock ticks:
# a stall no process here caused.
steal_ticks() { awk '/^cpu /{print $9}' /proc/stat; }
quiet_gate() { # wait (bounded) until CPU used by processes other than UAS/target is below QUIET_MAX %
  local k a b t0 t1 o=0
  [ "$QUIET_WAIT" -gt 0 ] || return 0
  for ((k = 0; k < QUIET_WAIT / 2; k++)); do
    a=$(all_ticks); t0=$(cpu_ticks $TPIDS "$UAS_PID")
    sleep 2
    b=$(all_ticks); t1=$(cpu_ticks $TPIDS "$UAS_PID")
    o=$(( ((b - a) - (t1 - t0)) * 100 / (2 * HZ) ))
    ((o < QUIET_MAX)) && return 0
  done
  echo "# note: background load ${o}% (>= QUIET_MAX=$QUIET_MAX) after ${QUIET_WAIT}s wait, running anyway" >&2
}
udp_drops() { # udp_drops IP PORT: datagrams the kernel dropped for the sockets bound to IP:PORT (full buffer)
  local IFS=. a b c d; read -r a b c d <<< "$1"
  awk -v k="$(printf '%02X%02X%02X%02X:%04X' "$d" "$c" "$b" "$a" "$2")" '$2==k{s+=$NF} END{print s+0}' /proc/net/udp
}
now_ms() { date +%s%3N; }
pct() { # pct P file(sorted numeric, one value per line)
  awk -v p="$1" '{a[NR]=$1} END{if(NR==0){print "-";exit} i=int(p/100*NR+0.999999); if(i<1)i=1; if(i>NR)i=NR; print a[i]}' "$2"
}
col() { # col NAME csvfile -> value of column NAME in last line of SIPp ;-separated stat file
  awk -F';' -v n="$1" 'NR==1{for(i=1;i<=NF;i++) if($i==n) c=i} END{print (c? $c : "?")}' "$2"
}

# ---------- UAS ----------
UAS_STARTED=""
AG_SAVED=""
TCPD=""
# The kernel groups processes into "autogroups" per session (sched_autogroup_enabled=1); nice only ranks
# processes inside one autogroup. To win against unrelated load in other autogroups the autogroup nice is
# raised too; it is restored at exit.
boost_autogroup() {
  local p f id cur
  for p in "$@"; do
    f=/proc/$p/autogroup; [ -w "$f" ] || continue
    read -r id _ cur < "$f"
    case " $AG_SAVED " in *" $id="*) continue ;; esac
    AG_SAVED="$AG_SAVED $id=$p:$cur"
    echo "$RENICE" > "$f" 2>/dev/null
  done
}
restore_autogroup() { local e; for e in $AG_SAVED; do e=${e#*=}; echo "${e#*:}" > "/proc/${e%%:*}/autogroup" 2>/dev/null; done; }
cleanup() {
  [ -n "$TCPD" ] && kill "$TCPD" 2>/dev/null
  [ -n "$UAS_STARTED" ] && kill "$UAS_STARTED" 2>/dev/null && wait "$UAS_STARTED" 2>/dev/null
  restore_autogroup
}
trap cleanup EXIT
if [ -n "$(listener_pid "$UAC_IP" "$UAC_PORT")" ]; then echo "UAC address $UAC_IP:$UAC_PORT is busy" >&2; exit 1; fi
if [ -n "$(listener_pid "$UAS_IP" "$UAS_PORT")" ]; then
  echo "UAS address $UAS_IP:$UAS_PORT is already in use (stale UAS? another test?) - refusing" >&2; exit 1
fi
( cd "$OUT" && exec timeout "${UAS_MAX_SECS:-3600}" sipp -sf "$SCN/uas.xml" -i "$UAS_IP" -p "$UAS_PORT" \
    -mi "$UAS_IP" -mp 6100 -ci "$UAS_IP" -cp 8881 -nostdin -buff_size $BUF $SIPP_OPTS -trace_err \
    > /dev/null 2> uas.err ) &
UAS_STARTED=$!   # the timeout(1) wrapper: bounds the UAS lifetime, killed at exit
for ((k = 0; k < 20; k++)); do [ -n "$(listener_pid "$UAS_IP" "$UAS_PORT")" ] && break; sleep 0.25; done
UAS_PID=$(listener_pid "$UAS_IP" "$UAS_PORT")
[ -n "$UAS_PID" ] || { echo "no UAS on $UAS_IP:$UAS_PORT" >&2; exit 1; }
TPID=$(listener_pid "$HOST" "$PORT")
[ -n "$TPID" ] || { echo "nothing listening on UDP $HOST:$PORT" >&2; exit 1; }
TROOT=$(tree_root "$TPID")
TPIDS=$(tree_pids "$TROOT" | tr '\n' ' ')
SAME_UAS=0; for p in $TPIDS; do [ "$p" = "$UAS_PID" ] && SAME_UAS=1; done   # the floor: SIPp to SIPp
if [ -n "$RENICE" ]; then
  renice -n "$RENICE" -p $TPIDS $UAS_PID >/dev/null 2>&1; NICE="nice -n $RENICE"
  [ "$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null)" = 1 ] && boost_autogroup $$ $TROOT $UAS_PID
else NICE=""; fi
{
  echo "# target $TARGET label=$LABEL root_pid=$TROOT ($(ps -o comm= -p "$TROOT")) pids=[$TPIDS] uas=$UAS_IP:$UAS_PORT(pid $UAS_PID) uac=$UAC_IP:$UAC_PORT out=$OUT"
  echo "# $(nproc) cpus, $(uname -r), sipp $(sipp -v 2>&1 | grep -o 'v[0-9.]*' | head -1), call_ms=$CALL_MS step=${STEP_SECS}s max_calls=$MAX_CALLS renice=${RENICE:-off}"
} | tee "$OUT/table.txt"

# one SIPp UAC run: run_uac DIR RATE CALLS -> DIR/{uac.out,stat.csv,res}. -abortunexp is off because a
# proxy with several worker processes (Kamailio) may relay the phone's 180 after its 200: a late 180 is
# not a failure. A wrong final response still fails the call (no 200 within -recv_timeout).
run_uac() {
  local d=$1 r=$2 n=$3 lim=$(( $3 / $2 * 3 + 30 ))
  mkdir -p "$d"
  local t0 c0 u0 upid peak=0 peakr=0 p pr
  local dr0; dr0=$(udp_drops "$HOST" "$PORT")
  c0=$(cpu_ticks $TPIDS); u0=$(cpu_ticks "$UAS_PID"); local a0 a1; a0=$(all_ticks); t0=$(now_ms)
  ( cd "$d" && exec /usr/bin/time -f "%U %S %e %M" -o uac.time timeout $((lim + 15)) $NICE \
      sipp "$TARGET" -sf "$SCN/uac.xml" -inf "$INF" -i "$UAC_IP" -p "$UAC_PORT" \
      -mi "$UAC_IP" -mp 6000 -ci "$UAC_IP" -cp 8882 \
      -m "$n" -r "$r" -rp 1000 -d "$CALL_MS" -l 15000 -nostdin -buff_size $BUF $SIPP_OPTS \
      -default_behaviors all,-abortunexp \
      -trace_stat -stf stat.csv -fd 1 -trace_rtt -rtt_freq 1 -trace_err \
      -recv_timeout 10000 -timeout "${lim}s" -timeout_error > uac.out 2>&1 ) &
  upid=$!
  for ((k = 0; k < lim * 4 + 60; k++)); do   # bounded sampler: peak PSS and RSS of the target
    kill -0 $upid 2>/dev/null || break
    read -r p pr < <(mem_kb $TPIDS); ((p > peak)) && peak=$p; ((pr > peakr)) && peakr=$pr
    sleep 0.25
  done
  wait $upid; local rc=$?
  local t1 c1 u1; t1=$(now_ms); c1=$(cpu_ticks $TPIDS); u1=$(cpu_ticks "$UAS_PID"); a1=$(all_ticks)
  local drops=$(( $(udp_drops "$HOST" "$PORT") - dr0 ))
  local wall=$(( t1 - t0 ))
  local tcpu ucpu busy uacu
  tcpu=$(awk -v a=$c0 -v b=$c1 -v w=$wall -v hz=$HZ 'BEGIN{printf "%.0f", (b-a)/hz*1000/w*100}')
  ucpu=$(awk -v a=$u0 -v b=$u1 -v w=$wall -v hz=$HZ 'BEGIN{printf "%.0f", (b-a)/hz*1000/w*100}')
  local allt=$(( a1 - a0 ))
  uacu=$(tail -1 "$d/uac.time" 2>/dev/null | awk -v w=$wall '{printf "%.0f", ($1+$2)*1000/w*100}')
  busy=$(awk -v t=$allt -v w=$wall -v hz=$HZ 'BEGIN{printf "%.0f", t/hz*1000/w*100}')
  local other=$(( busy - tcpu - ${uacu:-0} - (SAME_UAS ? 0 : ucpu) ))
  local rttf spid ach; rttf=$(ls "$d"/*_rtt.csv 2>/dev/null | head -1)
  spid=$(basename "${rttf:-uac_0_rtt.csv}" | sed 's/^uac_\([0-9]*\)_rtt.csv$/\1/')
  if [ -n "$rttf" ]; then
    awk -F';' 'NR>1 && $3==1{print $2}' "$rttf" | sort -n > "$d/ring.txt"
    awk -F';' 'NR>1 && $3==2{print $2}' "$rttf" | sort -n > "$d/ans.txt"
    ach=$(awk -F';' '$3==2{if(!n) f=$1; l=$1; n++} END{if(n>1 && l>f) printf "%.0f", (n-1)/((l-f)/1000); else print 0}' "$rttf")
  else : > "$d/ring.txt"; : > "$d/ans.txt"; ach=0; fi
  local placed ok fail retr ooc
  placed=$(col 'OutgoingCall(C)' "$d/stat.csv")
  ok=$(col 'SuccessfulCall(C)' "$d/stat.csv"); fail=$(col 'FailedCall(C)' "$d/stat.csv")
  retr=$(col 'Retransmissions(C)' "$d/stat.csv"); ooc=$(col 'OutOfCallMsgs(C)' "$d/stat.csv")
  echo "$r $n $ok $fail $retr $ooc $ach $(pct 50 "$d/ring.txt") $(pct 99 "$d/ring.txt") $(pct 50 "$d/ans.txt") $(pct 99 "$d/ans.txt") $(pct 100 "$d/ans.txt") $tcpu $((peak / 1024)) $((peakr / 1024)) ${uacu:-0} $ucpu $busy $rc $other ${spid:-0} $placed $drops" > "$d/res"
}

verdict() { # PASS if every call ok, none failed, achieved >= 95% of the rate, SIPp exit 0
  awk '{ ok=($3==$2 && $4==0 && $7>=0.95*$1 && $19==0); print ok?"PASS":"FAIL" }' "$1"
}

# ---------- fixed-rate latency probe, microsecond resolution via tcpdump ----------
probe() { # probe RATE: LAT_CALLS calls at RATE, captured -> $OUT/lat<RATE>/{res,res_lat,lat_us.txt}
  local LAT_RATE=$1 d=$OUT/lat$1 c line r n ok fail retr ooc ach g50 g99 a50 a99 amx tcpu pss rss uacu ucpu busy rc other spid placed drops
  local nr r50 r90 r99 na x50 x90 x99 ni i50 i90 i99 st0 st1
  mkdir -p "$d"
  timeout $(( LAT_CALLS / LAT_RATE * 3 + 60 )) tcpdump -i lo -n -s 1500 -B 65536 -w "$d/lat.pcap" \
    "udp and host $UAC_IP and (port $UAC_PORT or port $UAS_PORT)" > "$d/tcpdump.log" 2>&1 &
  TCPD=$!; sleep 1
  quiet_gate
  st0=$(steal_ticks)
  run_uac "$d" "$LAT_RATE" "$LAT_CALLS"
  st1=$(steal_ticks)
  sleep 1; kill "$TCPD" 2>/dev/null; wait "$TCPD" 2>/dev/null; TCPD=""
  # Per caller Call-ID A (UAC leg): t_inv (INVITE sent), t_ring (first 180/183), t_200 (first 200 INVITE).
  # Per phone leg B (UAS side): t_ans (the UAS's first 200 to the INVITE) and its caller number (From user).
  # The caller numbers are unique within a run (SEQUENTIAL injection file), so A and B pair by number:
  # answer->200 = t_200(A) - t_ans(B). (Kamailio keeps the Call-ID; callroute makes a new one.)
  tcpdump -r "$d/lat.pcap" -n -tt -A 2>/dev/null | awk -v up="$UAC_PORT" -v sp="$UAS_PORT" '
    function flush() {
      if (cid != "" && inv) {
        if (side == "uac_out" && kind == "INV" && !(cid in ti)) { ti[cid] = ts; fa[cid] = from }
        if (side == "uac_in" && (code == 180 || code == 183) && !(cid in tr)) tr[cid] = ts
        if (side == "uac_in" && code == 200 && !(cid in t2)) t2[cid] = ts
        if (side == "uas_in" && kind == "INV" && !(cid in fb)) fb[cid] = from
        if (side == "uas_out" && code == 200 && !(cid in ta)) ta[cid] = ts
      }
      kind = ""; code = 0; cid = ""; inv = 0; from = ""; side = ""
    }
    /^[0-9]+\.[0-9]+ IP / { flush(); ts = $1; s = $3; t = $5; sub(/:$/, "", t)
      if (s ~ ("\\." up "$")) side = "uac_out"; else if (t ~ ("\\." up "$")) side = "uac_in"
      else if (s ~ ("\\." sp "$")) side = "uas_out"; else if (t ~ ("\\." sp "$")) side = "uas_in"
      next }
    { l = $0; sub(/\r$/, "", l)
      if (kind == "" && code == 0) {
        if (l ~ /INVITE sip:[^ ]* SIP\/2\.0$/) kind = "INV"
        else if (match(l, /SIP\/2\.0 [0-9][0-9][0-9] /)) code = substr(l, RSTART + 8, 3) + 0
      }
      ll = tolower(l)
      if (ll ~ /^(call-id|i):/) { v = l; sub(/^[^:]*:[ \t]*/, "", v); cid = v }
      if (ll ~ /^cseq:/ && l ~ /INVITE/) inv = 1
      if (ll ~ /^(from|f):/ && match(l, /sips?:[^@;>]*@/)) { from = substr(l, RSTART, RLENGTH - 1); sub(/^sips?:/, "", from) } }
    END { flush()
      for (b in ta) if (b in fb) { n = fb[b]; if (!(n in ans) || ta[b] > ans[n]) ans[n] = ta[b] }
      for (a in ti) {
        r = (a in tr) ? sprintf("%.3f", (tr[a] - ti[a]) * 1000) : "-"
        i2 = (a in t2) ? sprintf("%.3f", (t2[a] - ti[a]) * 1000) : "-"
        n = fa[a]; x = "-"
        if ((a in t2) && (n in ans) && ans[n] <= t2[a]) x = sprintf("%.3f", (t2[a] - ans[n]) * 1000)
        print r, x, i2 } }' > "$d/lat_us.txt"
  for c in 1 2 3; do awk -v c=$c '$c != "-" {print $c}' "$d/lat_us.txt" | sort -n > "$d/lat_$c.txt"; done
  read -r r n ok fail retr ooc ach g50 g99 a50 a99 amx tcpu pss rss uacu ucpu busy rc other spid placed drops < "$d/res"
  # res_lat: n_ring ring50 ring90 ring99 n_ans ans50 ans90 ans99 n_inv200 inv50 inv90 inv99
  line=""
  for c in 1 2 3; do line="$line $(wc -l < "$d/lat_$c.txt") $(pct 50 "$d/lat_$c.txt") $(pct 90 "$d/lat_$c.txt") $(pct 99 "$d/lat_$c.txt")"; done
  echo "$line" > "$d/res_lat"
  read -r nr r50 r90 r99 na x50 x90 x99 ni i50 i90 i99 < "$d/res_lat"
  {
    echo "LATENCY_PROBE $LABEL @${LAT_RATE}cps (${LAT_CALLS} calls, ok=$ok fail=$fail retr=$retr drops=$drops, tcpdump on :$UAC_PORT and :$UAS_PORT, ms):"
    echo "  INVITE->ringing n=$nr p50=$r50 p90=$r90 p99=$r99 | answer->200 n=$na p50=$x50 p90=$x90 p99=$x99 | INVITE->200 n=$ni p50=$i50 p90=$i90 p99=$i99"
    echo "  target CPU ${tcpu}% PSS ${pss} MB RSS ${rss} MB; other load ${other}%; vCPU steal $(( (st1 - st0) * 1000 / HZ )) ms"
  } | tee -a "$OUT/table.txt"
}

# The probes come first, on a target that has not been pushed past its limit yet (a failing step leaves
# it 32 s of transactions and a grown heap); then the ramp.
if command -v tcpdump >/dev/null; then
  for LR in $LAT_RATE; do
    [ "$LR" -gt 0 ] || continue
    probe "$LR"
    sleep 5
  done
fi

HDR="%-6s %6s %6s %5s %5s %5s %6s %6s %6s %6s %6s %6s %7s %7s %6s %6s %5s %6s %s\n"
{
  printf "$HDR" rate calls ok fail retr drops cps ring50 ring99 inv200 inv299 tgtCPU tgtPSS tgtRSS uacCPU uasCPU busy other verdict
  printf "$HDR" "" "" "" "" "" "" "" ms ms ms ms "" MB MB "" "" "" "" ""
} | tee -a "$OUT/table.txt"
MAXOK=0; MAXLINE=""
for R in $RATES; do
  N=$(( R * STEP_SECS )); (( N > MAX_CALLS )) && N=$MAX_CALLS
  quiet_gate
  run_uac "$OUT/r$R" "$R" "$N"
  read -r r n ok fail retr ooc ach g50 g99 a50 a99 amx tcpu pss rss uacu ucpu busy rc other spid placed drops < "$OUT/r$R/res"
  v=$(verdict "$OUT/r$R/res")
  printf "$HDR" "$r" "$n" "$ok" "$fail" "$retr" "$drops" "$ach" "$g50" "$g99" "$a50" "$a99" "$tcpu%" "$pss" "$rss" "$uacu%" "$ucpu%" "$busy%" "$other%" "$v" | tee -a "$OUT/table.txt"
  if [ "$v" = PASS ]; then MAXOK=$R; MAXLINE="$ach cps (rate $R), ring p99 ${g99} ms, INVITE->200 p99 ${a99} ms, CPU ${tcpu}% PSS ${pss} MB";
  elif [ "$STOP_ON_FAIL" = 1 ]; then break; fi
  sleep 3   # let UAS timewait / target transactions drain
done
echo "MAX_SUSTAINABLE $LABEL: ${MAXLINE:-none}" | tee -a "$OUT/table.txt"
echo "$MAXOK" > "$OUT/max_rate"

