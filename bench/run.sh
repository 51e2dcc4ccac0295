#!/usr/bin/env bash
# The call-rate bench: callroute beside Kamailio, in one run (see README.md).
#
#   ./run.sh [all|callroute|kamailio|floor ...]      (default: callroute kamailio)
#
# 1. builds callroute from this checkout and generates data/ (gen_data.sh);
# 2. callroute: a fresh SQLite client base (N_CLIENTS clients owned by N_AGENTS managers, N_DESK desk
#    agents, all with SIP credentials: `callroute user add`, `user sip`, `import contacts`), `callroute
#    serve`, every agent's phone REGISTERs with digest auth from the SIPp that then answers as all of them,
#    measure.sh at rising rates; then serve is stopped (drain, flush) and the client base is checked: one
#    interaction per call placed, and who answered each call;
# 3. kamailio: the same caller-ID routing from an htable (kamailio/kamailio.cfg), measure.sh;
# 4. floor (optional): SIPp calling SIPp directly, what the machine does with no router at all;
# 5. results/<date>/summary.md: the table of the run.
#
# Everything binds BENCH_IP (127.0.0.77, loopback, apart from tests on 127.0.0.1); every process started
# here is bounded by `timeout` and stopped at exit; the work directory (binary, database, logs) is deleted
# unless KEEP=1. Env (defaults): RATES STEP_SECS MAX_CALLS LAT_RATE LAT_CALLS (measure.sh), N_CLIENTS
# N_AGENTS N_DESK KNOWN_PCT (gen_data.sh), CR_FLAGS (extra `callroute serve` flags), PROFILE_RATE (0: with
# a rate, one more step at it while CPU and heap profiles are taken), BASE_CACHE (a directory where the
# set-up client base is kept and reused by later runs with the same data), CR_BIN (measure that binary
# instead of building this checkout), KEEP (0), OUT, WORK.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
IP=${BENCH_IP:-127.0.0.77}
case "$IP" in 127.*) ;; *) echo "BENCH_IP must be a loopback address (127.0.0.0/8)" >&2; exit 2 ;; esac
UAC_PORT=5060 KAM_PORT=5070 UAS_PORT=5080 CR_PORT=5090 CR_HTTP=8090 CR_PPROF=6090
LIFE=${LIFE:-3600}   # upper bound on any process started here (s)
STAMP=$(date +%Y%m%d-%H%M%S)
OUT=${OUT:-$HERE/results/$STAMP}
WORK=${WORK:-$HERE/tmp/$STAMP}
KEEP=${KEEP:-0}
PROFILE_RATE=${PROFILE_RATE:-0}
CR_FLAGS=${CR_FLAGS:-}
CR_BIN=${CR_BIN:-}           # a callroute binary to measure instead of building this checkout
BASE_CACHE=${BASE_CACHE:-}   # keep a copy of the set-up client base there and reuse it (same data/params)
export UAC_IP=$IP UAS_IP=$IP UAC_PORT UAS_PORT
TARGETS=${*:-callroute kamailio}
[ "$TARGETS" = all ] && TARGETS="callroute kamailio floor"
mkdir -p "$OUT" "$WORK"
ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)"   # RTP sockets, draining ports, SIPp's calls

need() { command -v "$1" >/dev/null || { echo "missing $1: $2" >&2; exit 2; }; }
need go "install Go"
need sipp "apt-get install -y sip-tester"
need sqlite3 "apt-get install -y sqlite3"
need tcpdump "apt-get install -y tcpdump"
case " $TARGETS " in *" kamailio "*) need kamailio "apt-get install -y kamailio kamailio-extra-modules" ;; esac

log() { echo "== $(date +%T) $*" | tee -a "$OUT/run.log"; }
STARTED=()   # pids of the timeout(1) wrappers we started
cleanup() {
  local p
  for p in "${STARTED[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${STARTED[@]}"; do wait "$p" 2>/dev/null; done
  if [ "$KEEP" = 1 ]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

machine() {
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/{print $2}') GiB"
    echo "os: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
    echo "go: $(go version | cut -d' ' -f3), sipp $(sipp -v 2>&1 | grep -o 'v[0-9.]*' | head -1), kamailio $(kamailio -v 2>/dev/null | head -1 | cut -d' ' -f3)"
    echo "callroute: $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- . ':!bench' || echo ' (modified)')"
    echo "load $1: $(uptime | sed 's/.*load average/load average/')"
    top -bn1 -w 120 | sed -n '7,12p' | sed 's/^/  /'
  } >> "$OUT/machine.txt"
}

listening() { ss -Hlun | grep -q "$1:$2 "; }
wait_listen() { local k; for ((k = 0; k < ${3:-120}; k++)); do listening "$1" "$2" && return 0; sleep 0.5; done; return 1; }

# ---------- callroute ----------
cr() { "$WORK/callroute" "$@" --data-dir "$WORK/cr-data" --log-level warn; }

setup_callroute() {
  log "callroute: client base in $WORK/cr-data"
  rm -rf "$WORK/cr-data"
  local key; key=$(cat "$HERE/data/params")
  if [ -n "$BASE_CACHE" ] && [ -f "$BASE_CACHE/params" ] && [ "$(cat "$BASE_CACHE/params")" = "$key" ]; then
    cp -a "$BASE_CACHE/cr-data" "$WORK/cr-data" && { log "callroute: client base copied from $BASE_CACHE"; return 0; }
  fi
  setup_fresh || return 1
  if [ -n "$BASE_CACHE" ]; then
    rm -rf "$BASE_CACHE"; mkdir -p "$BASE_CACHE" && cp -a "$WORK/cr-data" "$BASE_CACHE/" && echo "$key" > "$BASE_CACHE/params"
  fi
}

setup_fresh() {
  local email name role user pw n=0
  while IFS=';' read -r email name role user pw; do
    cr user add --email "$email" --name "$name" --role "$role" --password "" >/dev/null 2>&1 \
      || { echo "user add $email failed" >&2; return 1; }
    cr user sip "$email" --username "$user" --password "$pw" >/dev/null || return 1
    n=$((n + 1))
  done < "$HERE/data/users.txt"
  log "callroute: $n users with SIP credentials; importing $(($(wc -l < "$HERE/data/clients.csv") - 1)) clients"
  cr import contacts "$HERE/data/clients.csv" | tee -a "$OUT/run.log"
}

start_callroute() {
  local d=$OUT/callroute
  mkdir -p "$d"
  # Trunks: the SIPp caller and the SIPp phones share BENCH_IP, so the per-source rate limit (a guard for
  # one phone or trunk, not for one SIPp playing 220 phones) does not apply to them. MD5 first: SIPp 3.6.
  # longest-idle: one desk agent rung at a time, as Kamailio sends an unknown caller to one desk address
  # (ring-all would fork to every free desk phone, and SIPp answers all of them at once).
  # No wrap-up: the phones are machines that take the next call at once (with the default 10 s an
  # agent answers at most one call in 10 s, and the calls of 200 agents at 1,000/s queue).
  # shellcheck disable=SC2086
  ( cd "$WORK" && exec timeout "$LIFE" "$WORK/callroute" serve --data-dir "$WORK/cr-data" \
      --sip-addr "$IP:$CR_PORT" --sip-tcp-addr off --http-addr "$IP:$CR_HTTP" --pprof-addr "$IP:$CR_PPROF" \
      --trunks "$IP/32" --sip-digest MD5,SHA-256 --rtp-ports 10000-60999 --desk-strategy longest-idle \
      --wrap-up-time 0s $CR_FLAGS > "$d/serve.out" 2> "$d/serve.log" ) &
  STARTED+=($!); CR_WRAP=$!
  wait_listen "$IP" "$CR_PORT" || { echo "callroute did not start, see $d/serve.log" >&2; tail -5 "$d/serve.log" >&2; return 1; }
  CR_PID=$(ss -Hlunp | awk -v a="$IP:$CR_PORT" '$4==a' | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
  log "callroute: serving on udp $IP:$CR_PORT (pid $CR_PID), flags: ${CR_FLAGS:-none}"
}

register_agents() {
  local d=$OUT/callroute/register n
  n=$(($(wc -l < "$HERE/data/register.csv") - 1))
  mkdir -p "$d"
  log "callroute: $n phones REGISTER from $IP:$UAS_PORT (digest)"
  ( cd "$d" && exec timeout 120 sipp "$IP:$CR_PORT" -sf "$HERE/scenarios/register.xml" -inf "$HERE/data/register.csv" \
      -i "$IP" -p "$UAS_PORT" -mi "$IP" -mp 6200 -ci "$IP" -cp 8883 -m "$n" -r 100 -l 20 -nostdin \
      -trace_err -trace_stat -stf stat.csv -timeout 100s -timeout_error > sipp.out 2>&1 )
  local rc=$? ok
  ok=$(awk -F';' 'NR==1{for(i=1;i<=NF;i++) if($i=="SuccessfulCall(C)") c=i} END{print $c+0}' "$d/stat.csv" 2>/dev/null)
  [ "$rc" = 0 ] && [ "$ok" = "$n" ] || { echo "registration: $ok of $n phones registered (sipp exit $rc), see $d" >&2; return 1; }
  log "callroute: $ok phones registered"
}

profile_callroute() { # one more step at PROFILE_RATE while CPU (10 s) and heap profiles are taken
  local d=$OUT/callroute/profile
  mkdir -p "$d"
  log "callroute: profiling at $PROFILE_RATE calls/s"
  # The step lasts 20 s; the profiles start once the calls flow (measure.sh first waits for a quiet
  # machine, QUIET_WAIT), the CPU profile covers 10 s of it and the heap is taken near its end.
  QUIET_WAIT=0 RATES=$PROFILE_RATE LAT_RATE=0 STEP_SECS=20 OUT=$d/steps "$HERE/measure.sh" "$IP:$CR_PORT" callroute-profile > "$d/steps.txt" 2>&1 &
  local m=$!
  sleep 6
  curl -s -o "$d/cpu.pprof" "http://$IP:$CR_PPROF/debug/pprof/profile?seconds=10"
  curl -s -o "$d/heap.pprof" "http://$IP:$CR_PPROF/debug/pprof/heap"
  curl -s -o "$d/goroutine.txt" "http://$IP:$CR_PPROF/debug/pprof/goroutine?debug=1"
  curl -s -o "$d/trace.out" "http://$IP:$CR_PPROF/debug/pprof/trace?seconds=2"
  wait $m
  curl -s -o "$d/metrics.txt" "http://$IP:$CR_HTTP/metrics"
  go tool pprof -top -nodecount=40 "$WORK/callroute" "$d/cpu.pprof" > "$d/cpu_top.txt" 2>/dev/null
  go tool pprof -top -nodecount=40 -sample_index=inuse_space "$WORK/callroute" "$d/heap.pprof" > "$d/heap_top.txt" 2>/dev/null
  # where goroutines waited to run (scheduler latency) during the 2 s trace
  go tool trace -pprof=sched "$d/trace.out" > "$d/sched.pprof" 2>/dev/null &&
    go tool pprof -top -nodecount=30 "$WORK/callroute" "$d/sched.pprof" > "$d/sched_top.txt" 2>/dev/null
  log "callroute: profiles in $d (cpu_top.txt, heap_top.txt)"
}

stop_callroute() {
  log "callroute: stopping (drain, flush the call records)"
  kill -TERM "$CR_PID" 2>/dev/null
  local k
  for ((k = 0; k < 120; k++)); do kill -0 "$CR_PID" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$CR_PID" 2>/dev/null && { echo "callroute did not stop in 60 s" >&2; kill "$CR_WRAP"; }
  wait "$CR_WRAP" 2>/dev/null
}

# verify_callroute: one interaction per call placed, and how each call ended, per step.
verify_callroute() {
  local d=$OUT/callroute db=$WORK/cr-data/callroute.db
  local spool; spool=$(find "$WORK/cr-data/spool" -type f -name '*.jsonl' 2>/dev/null | wc -l)
  sqlite3 "$db" "CREATE TEMP TABLE x AS SELECT 1;" >/dev/null || return 1
  printf "%-14s %7s %8s %7s %7s %7s %7s %7s %s\n" step placed recorded owner desk queued other owner_ok check > "$d/verify.txt"
  local f tp=0 tr=0 ts=0 bad=0
  for f in $(ls -v "$d"/r[0-9]*/res "$d"/lat*/res "$d"/profile/steps/r[0-9]*/res 2>/dev/null); do
    [ -f "$f" ] || continue
    local step pid placed
    step=$(basename "$(dirname "$f")"); [[ $f == */profile/* ]] && step=profile
    read -r _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ pid placed _ < "$f"
    [ "${pid:-0}" != 0 ] || continue
    # owner: the caller's owner answered (and is the contact's owner); desk: a desk agent answered without
    # the caller waiting in the queue; queued: the queue answered the caller first; other: not answered.
    local q
    q=$(sqlite3 -separator ' ' "$db" "
      WITH c AS (
        SELECT i.*, ct.owner_id AS contact_owner,
          EXISTS (SELECT 1 FROM json_each(i.route, '\$.steps') s WHERE s.value->>'stage' = 'queue') AS queued,
          EXISTS (SELECT 1 FROM json_each(i.route, '\$.steps') s
                  WHERE s.value->>'stage' = 'owner' AND s.value->>'outcome' = 'answered') AS by_owner
        FROM interactions i LEFT JOIN contacts ct ON ct.id = i.contact_id
        WHERE i.kind = 'call' AND i.call_id LIKE '%-$pid@%')
      SELECT count(*),
        coalesce(sum(outcome = 'answered' AND by_owner AND NOT queued), 0),
        coalesce(sum(outcome = 'answered' AND NOT by_owner AND NOT queued), 0),
        coalesce(sum(outcome = 'answered' AND queued), 0),
        coalesce(sum(outcome <> 'answered'), 0),
        coalesce(sum(by_owner AND answered_by = contact_owner), 0)
      FROM c;")
    local rec own desk qd oth ownok
    read -r rec own desk qd oth ownok <<< "$q"
    # Records not in the base yet but in the spool are kept, not lost: the next start writes them.
    local sp=0
    if [ "$spool" != 0 ]; then
      sp=$(comm -23 <(cat "$WORK"/cr-data/spool/*.jsonl 2>/dev/null | grep -o "\"call_id\":\"[^\"]*-$pid@[^\"]*\"" | cut -d'"' -f4 | sort -u) \
        <(sqlite3 "$db" "SELECT call_id FROM interactions WHERE call_id LIKE '%-$pid@%'" | sort -u) | wc -l)
    fi
    local chk=ok
    [ "$sp" = 0 ] || chk="ok, $sp of them in the spool"
    [ $((rec + sp)) = "$placed" ] || chk="LOST $((placed - rec - sp))"
    [ "$qd" = 0 ] && [ "$oth" = 0 ] || chk="$chk, not all answered by an agent"
    [ "$ownok" = "$own" ] || chk="$chk, wrong owner"
    [ "$chk" = ok ] || bad=1
    tp=$((tp + placed)); tr=$((tr + rec)); ts=$((ts + sp))
    printf "%-14s %7s %8s %7s %7s %7s %7s %7s %s\n" "$step" "$placed" "$rec" "$own" "$desk" "$qd" "$oth" "$ownok" "$chk" >> "$d/verify.txt"
    echo "$step $placed $rec $own $desk $qd $oth $chk" > "$(dirname "$f")/verify"
  done
  local all; all=$(sqlite3 "$db" "SELECT count(*) FROM interactions WHERE kind = 'call'")
  {
    echo "total: $tp calls placed, $tr interactions for them in the base ($all call interactions in all), $ts more waiting in the spool ($spool segment files) for the next start"
    [ $((tr + ts)) = "$tp" ] && [ "$tr" = "$all" ] && echo "nothing lost" || { echo "RECORDS MISSING"; bad=1; }
  } >> "$d/verify.txt"
  cat "$d/verify.txt" | tee -a "$OUT/run.log"
  return $bad
}

run_callroute() {
  if [ -n "$CR_BIN" ]; then
    log "callroute: $CR_BIN"
    cp "$CR_BIN" "$WORK/callroute" || return 1
  else
    log "callroute: build"
    ( cd "$REPO" && go build -o "$WORK/callroute" ./cmd/callroute ) || return 1
  fi
  setup_callroute || return 1
  start_callroute || return 1
  register_agents || return 1
  machine "before callroute"
  log "callroute: measuring"
  OUT=$OUT/callroute "$HERE/measure.sh" "$IP:$CR_PORT" callroute 2>&1 | tee -a "$OUT/run.log"
  curl -s -o "$OUT/callroute/metrics.txt" "http://$IP:$CR_HTTP/metrics"
  [ "$PROFILE_RATE" -gt 0 ] && profile_callroute
  grep -c 'level=ERROR' "$OUT/callroute/serve.log" > "$OUT/callroute/errors" 2>/dev/null
  stop_callroute
  verify_callroute
}

# ---------- Kamailio ----------
run_kamailio() {
  local d=$OUT/kamailio
  mkdir -p "$d"
  log "kamailio: start (htable of $(($(wc -l < "$HERE/data/kamdb/htable") - 1)) numbers)"
  ( cd "$WORK" && exec timeout "$LIFE" kamailio -f "$HERE/kamailio/kamailio.cfg" -DD -E -m 2048 -M 16 \
      -A "LISTEN=udp:$IP:$KAM_PORT" -A "AGENT_HOSTPORT=\"$IP:$UAS_PORT\"" -A "DESK_HOSTPORT=\"$IP:$UAS_PORT\"" \
      -A "CTL_SOCK=\"unix:$WORK/kamailio_ctl\"" -A "DB_URL=\"text://$HERE/data/kamdb\"" > "$d/kamailio.log" 2>&1 ) &
  STARTED+=($!); local w=$!
  wait_listen "$IP" "$KAM_PORT" || { echo "kamailio did not start, see $d/kamailio.log" >&2; return 1; }
  sleep 2   # htable loaded before listening; children settle
  machine "before kamailio"
  log "kamailio: measuring"
  OUT=$d "$HERE/measure.sh" "$IP:$KAM_PORT" kamailio 2>&1 | tee -a "$OUT/run.log"
  kill "$w" 2>/dev/null; wait "$w" 2>/dev/null
}

run_floor() {
  machine "before floor"
  log "floor: SIPp to SIPp, no router"
  OUT=$OUT/floor "$HERE/measure.sh" "$IP:$UAS_PORT" floor 2>&1 | tee -a "$OUT/run.log"
}

"$HERE/gen_data.sh" | tee -a "$OUT/run.log"
status=0
for t in $TARGETS; do
  case "$t" in
  callroute) run_callroute || status=1 ;;
  kamailio) run_kamailio || status=1 ;;
  floor) run_floor || status=1 ;;
  *) echo "unknown target $t" >&2; status=2 ;;
  esac
done
machine "after"
"$HERE/summary.sh" "$OUT" | tee "$OUT/summary.md"
exit $status
