#!/usr/bin/env bash
# Several hosts over TCP: three network namespaces with their own host names and addresses, joined
# by veth pairs; mpirun --host across them with an rsh agent that does `ip netns exec`, and MPI only
# over TCP on the private subnet. rangesum (every pattern), pool maps (factorial --list, imbalance)
# and the word-count pipeline must give exactly the one-host results, and the per-task records
# (JSON and HDF5) must name the distinct hosts. Namespaces, links and processes are removed on exit.
# Exit 77 (skip) when not root or when network namespaces are not permitted here.
set -u
source "$MULTIRANK_SOURCE_DIR/tests/e2e/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/multihost/hosts.sh
source "$here/hosts.sh"

hosts_test_begin h5dump python3 setpriv

dir=$(mktemp -d)
cleanup() {
  kill "$watchdog" 2>/dev/null
  hosts_stop
  rm -rf "$dir"
  local left; left=$(ip netns list | grep -c "^${hosts_tag}" || true)
  [ "$left" -eq 0 ] || echo "warning: $left namespace(s) left behind"
}
trap cleanup EXIT
trap 'echo "FAIL - stopped by a signal (the watchdog: over $watchdog_limit s)"; exit 1' INT TERM
watchdog_limit=270
start_watchdog "$watchdog_limit"

hosts_reap_stale
hosts_start 3 "$dir" || { echo "FAIL - could not build the namespace hosts"; exit 1; }
subnet="${hosts_subnet}.0/24"
three="${hosts_subnet}.1:1,${hosts_subnet}.2:1,${hosts_subnet}.3:1"
four="${hosts_subnet}.1:2,${hosts_subnet}.2:1,${hosts_subnet}.3:1"

# run_hosts HOSTS N ARGS... : the CLI on N ranks spread over HOSTS, launched from host 1.
run_hosts() {
  local spec=$1 n=$2; shift 2
  out=$(hosts_exec 1 timeout -k 5 "${RUN_TIMEOUT:-45}" "$MPIEXEC" -n "$n" --host "$spec" \
        --mca plm_rsh_agent "$dir/agent" --mca btl tcp,self --mca btl_tcp_if_include "$subnet" \
        --mca oob_tcp_if_include "$subnet" "$MULTIRANK_BIN" "$@" 2>"$dir/err")
  rc=$?
  err="exit status $rc; $(cat "$dir/err")"
}

# py EXPRESSION : asserts a Python expression over d (this run's JSON) and r (the one-host JSON).
py() {
  python3 -c "import json,sys; d=json.loads(sys.argv[1]); r=json.loads(sys.argv[2] or 'null'); assert ($1), d" \
    "$out" "${ref:-}" 2>&1
}
names='["mrnode1","mrnode2","mrnode3"]'

run_hosts "$three" 3 hello --json
expect "hello: rank i runs on host mrnode(i+1), over TCP between namespaces" \
  py "[p['host'] for p in d['processes']]==$names and d['ranks']==3"
run_hosts "$four" 4 hello --json
expect "hello on 4 ranks: two on mrnode1, one on each other host" \
  py "[p['host'] for p in d['processes']]==['mrnode1','mrnode1','mrnode2','mrnode3']"

# rangesum: every pattern against one one-host run (itself checked against the closed form).
expected_total=$(python3 -c 'print(sum(range(-50, -50 + 300007)))')
run_np 3 rangesum --n 300007 --lo -50 --pattern scatter-gather --json; ref=$out
expect "rangesum on one host: the closed form" py "d['total']=='$expected_total' and d['exact']"
for pattern in scatter-gather pool queue pipe; do
  run_hosts "$three" 3 rangesum --n 300007 --lo -50 --pattern "$pattern" --json
  expect "rangesum $pattern over 3 hosts: the one-host total, exact" \
    py "d['total']==r['total'] and d['exact'] and d['ranks']==3"
done
run_np 4 rangesum --n 200003 --pattern queue --kernel heavy --json; ref=$out
run_hosts "$four" 4 rangesum --n 200003 --pattern queue --kernel heavy --json
expect "rangesum queue, heavy kernel, 4 ranks on 3 hosts: the one-host total" \
  py "d['total']==r['total'] and d['ranks']==4 and d['kernel']=='heavy'"

# A pool map: factorials in completion order; the same digits as one host, records name the hosts.
list=5,200,1000,7,3000,25,400,12000
run_np 3 factorial --list "$list" --check --json; ref=$out
run_hosts "$three" 3 factorial --list "$list" --check --json
expect "factorial --list over 3 hosts: the one-host digits, every task exact" \
  py "[t['digits'] for t in d['tasks']]==[t['digits'] for t in r['tasks']] and all(t['exact'] for t in d['tasks'])"
expect "factorial --list: each task record names the host of its rank" \
  py "all(t['host']==${names}[t['rank']] for t in d['tasks'])"

# imbalance over the pool (dynamic) and round-robin (static): static puts task k on rank (k-1) mod 3,
# so the records must show all three hosts; results are bit-identical to the one-host run.
tasks=1:200K:1,2:50K:0,3:400K:2,4:10K:0,5:100K:1,6:30K:2
for schedule in dynamic static; do
  run_np 3 imbalance --tasks "$tasks" --schedule "$schedule" --no-sequential --json; ref=$out
  run_hosts "$three" 3 imbalance --tasks "$tasks" --schedule "$schedule" --no-sequential --json \
    --output "$dir/imbalance-$schedule.h5"
  expect "imbalance $schedule over 3 hosts: the one-host results, every task once" \
    py "[(t['id'],t['result']) for t in d['tasks']]==[(t['id'],t['result']) for t in r['tasks']] and sorted(d['completion_order'])==sorted(r['completion_order'])"
  expect "imbalance $schedule: task records name their rank's host" \
    py "all(t['host']==${names}[t['rank']] for t in d['tasks'])"
done
out=$(python3 "$here/h5summary.py" "$dir/imbalance-static.h5" 2>&1)
expect "imbalance static HDF5: hosts, rank_hosts and task hosts show the three hosts" \
  py "(lambda x: x['hosts']==$names and x['rank_hosts']==[0,1,2] and sorted(zip(x['task_ids'],x['task_hosts']))==[(k,(k-1)%3) for k in range(1,7)])(d['runs']['run_0001'])"
out=$(python3 "$here/h5summary.py" "$dir/imbalance-dynamic.h5" 2>&1)
expect "imbalance dynamic HDF5: six task records, each on one of the three hosts" \
  py "(lambda x: x['hosts']==$names and len(x['task_hosts'])==6 and set(x['task_hosts'])<={0,1,2})(d['runs']['run_0001'])"

# The word-count pipeline (read on rank 0, count on every rank, merge on rank 0) across the hosts.
python3 - "$dir/words.txt" <<'PY'
import random, sys
rnd = random.Random(9)
vocab = ["alpha", "Beta", "gamma", "niño", "año", "Straße", "über", "x²", "don't", "R2D2", "the", "The"]
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for _ in range(4000):
        f.write(" ".join(rnd.choice(vocab) for _ in range(12)) + "\n")
PY
run_np 3 wordcount "$dir/words.txt" --json --block-kib 8 --output "$dir/one-host.tsv"; ref=$out
run_hosts "$three" 3 wordcount "$dir/words.txt" --json --block-kib 8 --output "$dir/three-hosts.tsv"
expect "wordcount over 3 hosts: the one-host totals and top words" \
  py "d['total_words']==r['total_words']>=48000 and d['distinct_words']==r['distinct_words'] and d['top']==r['top'] and d['ranks']==3"
expect "wordcount over 3 hosts: every count identical to the one-host TSV" \
  cmp -s "$dir/one-host.tsv" "$dir/three-hosts.tsv"

# The traffic really crossed the links: every host's interface received data (TCP, not memory).
for i in 1 2 3; do
  rx=$(ip netns exec "$(_hosts_ns "$i")" cat /sys/class/net/eth0/statistics/rx_bytes)
  expect "mrnode$i's link received $rx bytes (over 100 KB)" [ "$rx" -gt 100000 ]
done

finish
