#!/usr/bin/env bash
# multirank farm across hosts: three network-namespace hosts with their own names (see
# tests/multihost/hosts.sh), mpirun --host over TCP; every line runs once, each task's output
# travels back to rank 0 and is printed whole, and the status file and the study file record the
# host each task ran on, which is the host the task itself saw. Exit 77 (skip) when not root or
# when network namespaces are not permitted here.
set -u
source "$MULTIRANK_SOURCE_DIR/tests/e2e/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
check=$here/status_check.py
# shellcheck source=tests/multihost/hosts.sh
source "$MULTIRANK_SOURCE_DIR/tests/multihost/hosts.sh"

hosts_test_begin python3

dir=$(mktemp -d)
cleanup() {
  hosts_stop
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
hosts_reap_stale
hosts_start 3 "$dir" || { echo "FAIL - could not build the namespace hosts"; exit 1; }
subnet="${hosts_subnet}.0/24"
cd "$dir" || exit 1
start=$SECONDS

# run_hosts SPEC N ARGS... : the CLI on N ranks spread over the hosts, launched from host 1.
run_hosts() {
  local spec=$1 n=$2; shift 2
  out=$(hosts_exec 1 timeout -k 5 60 "$MPIEXEC" -n "$n" --host "$spec" \
        --mca plm_rsh_agent "$dir/agent" --mca btl tcp,self --mca btl_tcp_if_include "$subnet" \
        --mca oob_tcp_if_include "$subnet" "$MULTIRANK_BIN" "$@" 2>"$dir/err")
  rc=$?
  err="exit status $rc; $(cat "$dir/err")"
}

mkdir out
for i in $(seq 30); do
  echo "h=\$(hostname); echo \$h > out/\$MULTIRANK_TASK; printf 'task %s rank %s on %s\n' \$MULTIRANK_TASK \$MULTIRANK_RANK \$h; sleep 0.02"
done >tasks.txt
run_hosts "${hosts_subnet}.1:1,${hosts_subnet}.2:1,${hosts_subnet}.3:1" 3 farm tasks.txt --status s.jsonl --tag \
  --output farm.h5
expect "farm over 3 hosts: exit 0, 30 succeeded" bash -c '[ "$1" -eq 0 ] && grep -q "30 tasks: 30 succeeded" <<<"$2"' _ "$rc" "$err"
expect "farm over 3 hosts: each task's output came back to rank 0, tagged, naming its rank's host" \
  python3 - "$out" <<'PY'
import sys
lines = sys.argv[1].splitlines()
assert len(lines) == 30, lines
seen = set()
for l in lines:
    tid, text = l.split("\t")
    _, t, _, rank, _, host = text.split()
    assert t == tid and host == f"mrnode{int(rank) + 1}", l
    seen.add(host)
assert seen == {"mrnode1", "mrnode2", "mrnode3"}, seen
PY
expect "farm over 3 hosts: the status file records the host each task saw, every host used" \
  python3 - "$(python3 "$check" s.jsonl)" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
assert sorted(r["task"] for r in s["records"]) == list(range(1, 31))
for r in s["records"]:
    assert r["host"] == open(f"out/{r['task']}").read().strip() == f"mrnode{r['rank'] + 1}", r
assert {r["host"] for r in s["records"]} == {"mrnode1", "mrnode2", "mrnode3"}
PY
expect "farm over 3 hosts: the study file's task records name the three hosts" \
  /usr/bin/python3 - <<'PY'
import h5py
with h5py.File("farm.h5", "r") as f:
    g = f["run_0001"]
    hosts = [h.decode() if isinstance(h, bytes) else h for h in g["hosts"][()]]
    t = g["tasks"][()]
    assert len(t) == 30 and sorted(t["task_id"].tolist()) == list(range(1, 31)), t
    names = {hosts[i].strip("\0") for i in t["host"].tolist()}
    assert names == {"mrnode1", "mrnode2", "mrnode3"}, (hosts, names)
    for row in t:
        assert hosts[row["host"]].strip("\0") == f"mrnode{row['rank'] + 1}", row
PY

echo "farm multihost test: $((SECONDS - start)) s"
finish
