#!/usr/bin/env bash
# `multirank wordcount` end to end: the same counts as Python's Counter at 1-4 ranks, bad input
# refused with one line (exit 2), invalid UTF-8 deep in a file reported (exit 1), and the bench.
set -u
source "$MULTIRANK_SOURCE_DIR/tests/e2e/lib.sh"
ref="$MULTIRANK_SOURCE_DIR/tests/exercises/reference_words.py"
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT

python3 - "$dir" <<'PY'
import random, sys
d = sys.argv[1]
vocab = ["el", "niño", "está", "ESTÁ", "año", "corazón", "pingüino", "¿qué?", "¡Olé!", "«canción»", "The", "the",
         "quick", "don't", "snake_case", "Ñandú", "cafe\u0301", "café", "2024", "x²", "ΟΔΟΣ", "İstanbul", "Straße",
         "日本語", "🙂", "über", "Über", "naïve", "x\u00a0y", "word.", "Mañana,", "R2D2"]
rnd = random.Random(5)
words = [rnd.choice(vocab) for _ in range(60000)]
text = "".join(w + rnd.choice([" ", " ", " ", "\n", "\t", ", "]) for w in words)
open(f"{d}/mixed.txt", "w", encoding="utf-8", newline="").write(text)
open(f"{d}/empty.txt", "w").close()
open(f"{d}/nowords.txt", "w", encoding="utf-8").write(" ¿? ¡! -- ... «» \n\n")
open(f"{d}/binary.bin", "wb").write(b"\x7fELF\x00\x01\x02\x03" * 100)
# Valid for the first 200 KB (past the 64 KiB sniff), then a Latin-1 byte.
bad = ("hola mundo " * 20000).encode() + b"ni\xf1o\n"
open(f"{d}/late_bad.txt", "wb").write(bad)
PY

python3 "$ref" count alnum "$dir/mixed.txt" >"$dir/ref_alnum.tsv"
python3 "$ref" count whitespace "$dir/mixed.txt" >"$dir/ref_ws.tsv"
ref_total=$(awk -F'\t' '{s+=$2} END {print s}' "$dir/ref_alnum.tsv")
ref_distinct=$(wc -l <"$dir/ref_alnum.tsv")

for n in 1 2 3 4; do
  rm -f "$dir/out.tsv"
  run_np "$n" wordcount "$dir/mixed.txt" --json --top 3 --output "$dir/out.tsv" --block-kib 16
  expect "wordcount on $n rank(s) exits 0" [ "$rc" -eq 0 ]
  expect "wordcount on $n rank(s): totals match Python" \
    python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d['total_words']==$ref_total and d['distinct_words']==$ref_distinct and d['ranks']==$n, d" "$out"
  expect "wordcount on $n rank(s): TSV identical to Python's Counter" cmp -s "$dir/out.tsv" "$dir/ref_alnum.tsv"
  expect "wordcount on $n rank(s): top 3 are the TSV's first 3 lines" \
    python3 -c "import json,sys; d=json.loads(sys.argv[1]); t=[l.split('\t') for l in open(sys.argv[2],encoding='utf-8').read().splitlines()[:3]]; assert [[x['word'],str(x['count'])] for x in d['top']]==t" "$out" "$dir/ref_alnum.tsv"
  expect "no temporary file is left next to the output" [ "$(ls "$dir" | grep -c '\.tmp\.')" -eq 0 ]
done

run_np 2 wordcount "$dir/mixed.txt" --words whitespace --output "$dir/ws.tsv"
expect "--words whitespace matches Python's str.split()" cmp -s "$dir/ws.tsv" "$dir/ref_ws.tsv"
expect "the text report names the totals" grep -q "^total words: " <<<"$out"

run_np 3 wordcount "$dir/empty.txt" "$dir/nowords.txt" --json
expect "an empty file and a file without words: exit 0" [ "$rc" -eq 0 ]
expect "... and zero words" python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d['total_words']==0 and d['distinct_words']==0 and d['top']==[]" "$out"

for bad in "$dir/missing.txt" "$dir" "$dir/binary.bin"; do
  run_np 2 wordcount "$bad"
  expect "bad input $(basename "$bad") exits 2" [ "$rc" -eq 2 ]
  expect "bad input $(basename "$bad") gives one line naming it" \
    bash -c '[ "$(grep -c "^multirank wordcount: error: .*$1" <<<"$2")" -eq 1 ]' _ "$bad" "$err"
done
run_np 2 wordcount "$dir/mixed.txt" --words bogus
expect "an unknown --words exits 2" [ "$rc" -eq 2 ]
run_np 2 wordcount "$dir/mixed.txt" --output "$dir/no/such/dir/x.tsv"
expect "an --output in a missing directory exits 2" [ "$rc" -eq 2 ]

start=$(date +%s)
run_np 3 wordcount "$dir/late_bad.txt" --block-kib 4
expect "invalid UTF-8 after the sniffed head exits 1" [ "$rc" -eq 1 ]
expect "... with one line naming the file and byte offset" \
  bash -c '[ "$(grep -c "^multirank wordcount: error: invalid UTF-8 at $1: byte 220002$" <<<"$2")" -eq 1 ]' _ "$dir/late_bad.txt" "$err"
expect "... without hanging" [ $(( $(date +%s) - start )) -lt 30 ]

run_np 2 bench wordcount --size 2 --repeat 1 --json
expect "bench wordcount exits 0" [ "$rc" -eq 0 ]
expect "bench wordcount prints the four measurements as JSON lines" \
  python3 -c "import json,sys; ls=[json.loads(l) for l in sys.argv[1].splitlines()]; names=[l['bench'] for l in ls]; assert names==['wordcount_2_ranks_vs_1_rank','wordcount_2_ranks_vs_tr_sort_uniq','wordcount_peak_rss_growth_rank0','wordcount_peak_rss_growth_rank1'], names; assert all(l['ours']>0 and l['baseline']>0 for l in ls)" "$out"
run_np 1 bench wordcount --size 1
expect "bench wordcount on 1 rank is a usage error" [ "$rc" -eq 2 ]
finish
