#!/usr/bin/env bash
# Generates the bench's client base and SIPp injection files into data/ (idempotent: same parameters, same
# files). Owners: client i belongs to agent (i/CONTACTS_PER_COMPANY) mod N_AGENTS, so a company's contacts
# share their owner, as the import gives them.
#
#   data/clients.csv     callroute import contacts: name,company,mobile,owner_email
#   data/users.txt       email;name;role;sip_username;sip_password  (owners = managers, desk agents = agent)
#   data/register.csv    SIPp -inf for register.xml: every user's REGISTER with digest credentials
#   data/callers.csv     SIPp -inf for uac.xml: SEQUENTIAL caller numbers, each once, KNOWN_PCT % clients of
#                        the base in random order, the rest numbers nobody knows
#   data/kamdb/htable    Kamailio htable (db_text): the same number -> agent mapping
#   data/kamdb/version
#
# Env: N_CLIENTS (100000) N_AGENTS (200) N_DESK (50) KNOWN_PCT (80) CONTACTS_PER_COMPANY (5) SEED (42)
set -euo pipefail
cd "$(dirname "$0")"
N_CLIENTS=${N_CLIENTS:-100000}
N_AGENTS=${N_AGENTS:-200}
N_DESK=${N_DESK:-50}
KNOWN_PCT=${KNOWN_PCT:-80}
PER_CO=${CONTACTS_PER_COMPANY:-5}
SEED=${SEED:-42}
D=data
mkdir -p "$D/kamdb"
stamp="$N_CLIENTS $N_AGENTS $N_DESK $KNOWN_PCT $PER_CO $SEED"
if [ -f "$D/params" ] && [ "$(cat "$D/params")" = "$stamp" ] && [ -s "$D/callers.csv" ]; then
  echo "data/ is up to date ($stamp)"; exit 0
fi
# Romanian mobile numbers in E.164 (callroute's default region is RO): clients +40721000000.., unknown
# callers +40731000000.. (valid numbers, in nobody's base).
awk -v n="$N_CLIENTS" -v a="$N_AGENTS" -v p="$PER_CO" 'BEGIN{
  print "name,company,mobile,owner_email"
  for (i = 0; i < n; i++) printf "Client %06d,Company %06d,+40721%06d,agent%03d@bench.example\n", i, int(i/p), i, int(i/p)%a }' > "$D/clients.csv"
awk -v a="$N_AGENTS" -v d="$N_DESK" 'BEGIN{
  for (i = 0; i < a; i++) printf "agent%03d@bench.example;Agent %03d;manager;agent%03d;bench-agent%03d-pw\n", i, i, i, i
  for (i = 1; i <= d; i++) printf "desk%02d@bench.example;Desk %02d;agent;desk%02d;bench-desk%02d-pw\n", i, i, i, i }' > "$D/users.txt"
{
  echo SEQUENTIAL
  awk -F';' '{printf "%s;[authentication username=%s password=%s]\n", $4, $4, $5}' "$D/users.txt"
} > "$D/register.csv"
{
  echo "key_name(str) key_type(int) value_type(int) key_value(str) expires(int)"
  awk -F, 'NR>1{ sub(/@.*/, "", $4); printf "%s:0:0:%s:0\n", $3, $4 }' "$D/clients.csv"
} > "$D/kamdb/htable"
printf 'table_name(str) table_version(int)\nhtable:2\n' > "$D/kamdb/version"
# Every known number once and enough unknown ones for KNOWN_PCT, shuffled with a fixed seed.
{
  echo SEQUENTIAL
  awk -v n="$N_CLIENTS" -v k="$KNOWN_PCT" -v seed="$SEED" 'BEGIN{ srand(seed)
    u = int(n * (100 - k) / k)
    for (i = 0; i < n; i++) printf "%.9f +40721%06d;\n", rand(), i
    for (i = 0; i < u; i++) printf "%.9f +40731%06d;\n", rand(), i }' | sort -k1,1 | cut -d' ' -f2
} > "$D/callers.csv"
echo "$stamp" > "$D/params"
wc -l "$D/clients.csv" "$D/users.txt" "$D/callers.csv" "$D/kamdb/htable" | sed '$d'
