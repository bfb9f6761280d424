#!/usr/bin/env bash
# Runs the pool's workloads with multirank, Python's multiprocessing.Pool and mpi4py.futures on
# this machine, in one go, and a farm of `true` tasks against xargs and GNU parallel (the whole
# `mpirun -n P multirank farm` command timed, mpirun's start-up included, --status on); prints one
# JSON line per comparison:
#   {"bench": NAME, "unit": UNIT, "ours": X, "baseline": Y, "ratio": X/Y}
# Wall-clock speedups need an otherwise idle machine; the busy fraction and the uneven bound
# "vs_own_tasks" come from the pool's own task records and are less sensitive to other load.
# Usage: scripts/compare-peers.sh [-n P] [--bin PATH/TO/multirank] [--tiny N] [--tiny-auto N]
#                                 [--farm-tasks N] [--farm-reps R] [--farm-only]
#   -n P          ranks / processes (default: the number of cores)
#   --bin PATH    the multirank CLI (default: build/bin/multirank)
#   --tiny N      inputs of the chunksize-1 runs (default 100000; mpi4py gets N/10)
#   --tiny-auto N inputs of the large-chunk runs (default 1000000)
#   --farm-tasks N  `true` tasks of the farm comparison (default 5000)
#   --farm-reps R   runs of each side of it, the best kept (default 3)
#   --farm-only     only the farm comparison
# Needs Debian's python3 with python3-mpi4py, and mpirun. PYTHON overrides the interpreter
# (default /usr/bin/python3, so that a python3 earlier on PATH without mpi4py is not picked).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
allow_mpi_as_root

ranks=$(nproc)
bin=build/bin/multirank
tiny=100000
tiny_auto=1000000
farm_tasks=5000
farm_reps=3
farm_only=0
while [ $# -gt 0 ]; do
  case $1 in
    -n) ranks=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --tiny) tiny=$2; shift 2 ;;
    --tiny-auto) tiny_auto=$2; shift 2 ;;
    --farm-tasks) farm_tasks=$2; shift 2 ;;
    --farm-reps) farm_reps=$2; shift 2 ;;
    --farm-only) farm_only=1; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "compare-peers.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -x "$bin" ] || { echo "compare-peers.sh: no multirank CLI at $bin (build first, or pass --bin)" >&2; exit 2; }
python=${PYTHON:-/usr/bin/python3}
"$python" -c 'import mpi4py' 2>/dev/null ||
  { echo "compare-peers.sh: $python cannot import mpi4py (apt-get install python3-mpi4py, or set PYTHON)" >&2; exit 2; }

oversub=""
[ "$ranks" -gt "$(nproc)" ] && oversub="--oversubscribe"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- a farm of `true` against xargs and GNU parallel: each whole command timed -------------------
seconds_of() {  # seconds_of CMD... : wall seconds of the command (which must succeed)
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || { echo "compare-peers.sh: failed: $*" >&2; exit 1; }
  t1=$(date +%s.%N)
  python3 -c "print($t1 - $t0)"
}
farm_comparison() {
  local list="$work/true.txt" i best_farm=1e9 best_xargs=1e9 best_parallel=1e9 t
  for ((i = 0; i < farm_tasks; i++)); do echo true; done >"$list"
  command -v parallel >/dev/null || { echo "compare-peers.sh: GNU parallel is missing (apt-get install parallel)" >&2; exit 2; }
  say "farm: mpirun -n $ranks $bin farm true.txt --status S (x$farm_reps) vs xargs -P $ranks and parallel -j $ranks" >&2
  for ((i = 0; i < farm_reps; i++)); do
    rm -f "$work/status.jsonl"
    t=$(seconds_of mpirun -n "$ranks" $oversub "$bin" farm "$list" --status "$work/status.jsonl" --progress none)
    best_farm=$(python3 -c "print(min($best_farm, $t))")
    t=$(seconds_of sh -c "xargs -P $ranks -I{} sh -c '{}' < '$list'")
    best_xargs=$(python3 -c "print(min($best_xargs, $t))")
    t=$(seconds_of sh -c "parallel --will-cite -j $ranks < '$list'")
    best_parallel=$(python3 -c "print(min($best_parallel, $t))")
  done
  python3 - "$farm_tasks" "$best_farm" "$best_xargs" "$best_parallel" <<'PY'
import json, sys
n, farm, xargs, parallel = int(sys.argv[1]), *map(float, sys.argv[2:])
for bench, base in (("farm_vs_xargs_P_whole_command", xargs), ("farm_vs_parallel_j_whole_command", parallel)):
    print(json.dumps({"bench": bench, "unit": "tasks/s", "ours": n / farm, "baseline": n / base, "ratio": base / farm}))
PY
}
if [ "$farm_only" = 1 ]; then
  farm_comparison
  exit 0
fi

# --- multirank ---
say "multirank: mpirun -n $ranks $bin bench pool --json --tiny $tiny --tiny-auto $tiny_auto" >&2
mpirun -n "$ranks" $oversub "$bin" bench pool --json --tiny "$tiny" --tiny-auto "$tiny_auto" >"$work/ours.jsonl"

# --- the same workloads in Python ---
cat >"$work/peers.py" <<'PY'
import json, os, sys, time

def square(x):
    return x * x

def burn(n):  # equal CPU-bound task
    return sum(range(n))

def rate(fn, n):
    t0 = time.perf_counter()
    out = fn()
    t = time.perf_counter() - t0
    assert out[-1] == (n - 1) * (n - 1)
    return n / t

def calibrate(ms):
    n = 100000
    while True:
        t0 = time.perf_counter(); burn(n); t = time.perf_counter() - t0
        if t > 0.05:
            return max(1, int(n * ms / 1000.0 / t))
        n *= 4

def multiprocessing_figures(p, tiny, tiny_auto):
    from multiprocessing import Pool
    out = {}
    with Pool(p) as pool:
        pool.map(square, range(1000))  # warm-up
        out["mp_cs1"] = max(rate(lambda: pool.map(square, range(tiny), chunksize=1), tiny) for _ in range(2))
        best = 0.0
        for cs in (100, 1000, 10000, max(1, tiny_auto // (4 * p))):
            best = max(best, rate(lambda: pool.map(square, range(tiny_auto), chunksize=cs), tiny_auto))
        out["mp_best"] = best
        n = calibrate(100)
        work = [n] * (4 * p)
        t0 = time.perf_counter(); [burn(x) for x in work]; seq = time.perf_counter() - t0
        t0 = time.perf_counter(); pool.map(burn, work, chunksize=1); par = time.perf_counter() - t0
        out["mp_speedup"] = seq / par
    return out

def mpi4py_figures(p, tiny):
    from mpi4py.futures import MPIPoolExecutor
    out = {}
    with MPIPoolExecutor() as ex:
        list(ex.map(square, range(100)))  # warm-up: the workers are up
        out["mpi4py_cs1"] = rate(lambda: list(ex.map(square, range(tiny), chunksize=1)), tiny)
        n = calibrate(100)
        work = [n] * (4 * p)  # the same tasks as multiprocessing gets; rank 0 only coordinates
        t0 = time.perf_counter(); [burn(x) for x in work]; seq = time.perf_counter() - t0
        t0 = time.perf_counter(); list(ex.map(burn, work, chunksize=1)); par = time.perf_counter() - t0
        out["mpi4py_speedup"] = seq / par
    return out

if __name__ == "__main__":
    which, p, tiny, tiny_auto = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    figures = multiprocessing_figures(p, tiny, tiny_auto) if which == "mp" else mpi4py_figures(p, tiny)
    print(json.dumps(figures))
PY
say "multiprocessing.Pool($ranks) with $python" >&2
"$python" "$work/peers.py" mp "$ranks" "$tiny" "$tiny_auto" >"$work/mp.json"
say "mpi4py.futures: mpirun -n $ranks $python -m mpi4py.futures peers.py" >&2
(cd "$work" && mpirun -n "$ranks" $oversub "$python" -m mpi4py.futures peers.py mpi4py "$ranks" $((tiny / 10)) 0) >"$work/mpi4py.json"

# --- the comparisons ---
"$python" - "$work" "$ranks" <<'PY'
import json, sys
work, p = sys.argv[1], int(sys.argv[2])
ours = {}
for line in open(f"{work}/ours.jsonl"):
    line = line.strip()
    if line:
        m = json.loads(line); ours[m["bench"]] = m
mp = json.load(open(f"{work}/mp.json"))
m4 = json.load(open(f"{work}/mpi4py.json"))
def emit(bench, unit, o, b):
    print(json.dumps({"bench": bench, "unit": unit, "ours": o, "baseline": b, "ratio": (o / b) if b else 0.0}))
emit("tiny_cs1_vs_multiprocessing_cs1", "tasks/s", ours["tiny_cs1"]["ours"], mp["mp_cs1"])
emit("tiny_cs1_vs_mpi4py_futures_cs1", "tasks/s", ours["tiny_cs1"]["ours"], m4["mpi4py_cs1"])
emit("tiny_auto_vs_multiprocessing_best_chunksize", "tasks/s", ours["tiny_auto"]["ours"], mp["mp_best"])
emit("cpu_equal_speedup_vs_ideal", "x", ours["cpu_equal_speedup"]["ours"], float(p))
emit("cpu_equal_speedup_vs_multiprocessing", "x", ours["cpu_equal_speedup"]["ours"], mp["mp_speedup"])
emit("cpu_equal_speedup_vs_mpi4py_futures", "x", ours["cpu_equal_speedup"]["ours"], m4["mpi4py_speedup"])
b = ours["cpu_equal_busy_fraction"]
emit("cpu_equal_busy_fraction", "1", b["ours"], b["baseline"])
u = ours["uneven_makespan"]
emit("uneven_makespan_vs_bound", "s", u["ours"], u["baseline"])
u = ours["uneven_makespan_vs_own_tasks"]
emit("uneven_makespan_vs_own_tasks", "s", u["ours"], u["baseline"])
PY
farm_comparison
