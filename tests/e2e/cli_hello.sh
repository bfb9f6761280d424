#!/usr/bin/env bash
# The CLI starts at several rank counts, reports every rank, and refuses bad usage with exit 2.
set -u
source "$(dirname "$0")/lib.sh"

for n in 1 2 3 4; do
  run_np "$n" hello --json
  expect "hello --json on $n rank(s) exits 0" [ "$rc" -eq 0 ]
  expect "hello --json on $n rank(s) lists $n processes" \
    python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d['ranks']==$n and sorted(p['rank'] for p in d['processes'])==list(range($n)) and all(p['pid']>0 for p in d['processes'])" "$out"
done

out=$(timeout -k 5 30 "$MULTIRANK_BIN" hello); rc=$?
expect "hello runs without mpirun (singleton)" [ "$rc" -eq 0 ]
expect "the singleton table has one row" [ "$(echo "$out" | tail -n +2 | wc -l)" -eq 1 ]

run_np 2 hello --no-such-flag
expect "an unknown flag exits 2" [ "$rc" -eq 2 ]
expect "an unknown flag gives one line of its own on stderr" [ "$(echo "$err" | grep -c "^multirank")" -eq 1 ]
run_np 2 no-such-subcommand
expect "an unknown subcommand exits 2" [ "$rc" -eq 2 ]
run_np 1 --help
expect "--help exits 0 and lists hello" bash -c "[ $rc -eq 0 ] && grep -q hello <<<\"\$1\"" _ "$out"
finish
