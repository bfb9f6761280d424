#!/usr/bin/env bash
# The exercise apps at 1-4 ranks on small sizes, with exact expected values.
set -u
source "$(dirname "$0")/lib.sh"

json_check() {  # json_check PYTHON-EXPRESSION-ON-d : evaluates against $out
  python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert ($1), d" "$out" 2>&1
}

for n in 1 2 3 4; do
  for pattern in sequential scatter-gather pool queue pipe; do
    run_np "$n" rangesum --n 100003 --lo -50 --pattern "$pattern" --json
    expect "rangesum $pattern on $n rank(s): exact total" \
      json_check "d['total']=='$(python3 -c 'print(sum(range(-50,-50+100003)))')' and d['exact'] and d['ranks']==$n and d['seconds']>0"
  done
  run_np "$n" rangesum --n 20000 --kernel heavy --baseline --json
  expect "rangesum heavy on $n rank(s) equals the sequential run" \
    json_check "d['exact'] and d['speedup']>0 and 'baseline_seconds' in d and 'efficiency' in d"
  run_np "$n" factorial --n 30011 --check --json
  expect "factorial --n on $n rank(s) equals mpz_fac_ui" \
    json_check "d['exact'] and d['digits']==$(python3 -c 'import math,sys; sys.set_int_max_str_digits(0); print(len(str(math.factorial(30011))))') and d['leading_digits']=='$(python3 -c 'import math,sys; sys.set_int_max_str_digits(0); print(str(math.factorial(30011))[:20])')'"
  run_np "$n" factorial --list 5,200,1000,7 --check --json
  expect "factorial --list on $n rank(s): digits per task" \
    json_check "[t['digits'] for t in d['tasks']]==[3,375,2568,4] and all(t['exact'] for t in d['tasks'])"
  run_np "$n" imbalance --tasks 1:200K:1,2:50K:0,3:400K:2,4:10K:0,5:100K:1 --json
  expect "imbalance dynamic on $n rank(s): every task once, results, bound" \
    json_check "sorted(d['completion_order'])==[1,2,3,4,5] and [t['id'] for t in d['tasks']]==[1,2,3,4,5] and all(t['rank'] in range($n) for t in d['tasks']) and d['makespan']>0 and d['lower_bound']>0 and d['speedup']>0 and d['profile']['tasks']==5"
  run_np "$n" imbalance --tasks 1:200K:1,2:50K:0,3:400K:2,4:10K:0,5:100K:1 --schedule static --no-sequential --json
  expect "imbalance static on $n rank(s): task k on rank (k-1) mod P" \
    json_check "[t['rank'] for t in d['tasks']]==[k % $n for k in range(5)]"
done

run_np 3 imbalance --scale 0.02
expect "imbalance prints the notes' timeline per rank" bash -c "grep -q '^rank 2: ' <<<\"\$1\" && grep -q 'completion order: \[' <<<\"\$1\"" _ "$out"

run_np 2 rangesum --n 1000
expect "the human table shows the check" grep -q "equal to the closed form" <<<"$out"
run_np 1 factorial --n 20 --print
expect "factorial --print prints the digits" grep -q "2432902008176640000" <<<"$out"
finish
