#!/usr/bin/env python3
"""Items 6 and 7 of issue 18: nothing a journal holds is taken on trust.

Complete journals of rangesum --pattern pool, factorial --list and imbalance are edited the ways a
user, a script or a damaged disk would, then resumed. Each edit below must be refused before any
work: exit 2, one line of ours naming the journal and the line, and the file left byte for byte
as it was. Edits made with the line's checksum recomputed (so that only the content checks can
catch them): a partial sum changed, a task moved to another index, task 999 and -1, a result of
12 or null, a task "0". Without it: a changed digit, a duplicated line, a line of text inserted in
the middle (line 50 of 200; it used to cut the file there and recompute the rest). A journal of
the format before checksums is refused with a line saying to run without --resume, one of a
format to come names its version. factorial --check recomputes a result taken from a journal: a
3000! changed with its checksum recomputed is reported as differing, not "exact". A torn last
line alone (a crash's leftover) is dropped, and the resume ends with the right total.

Environment: MULTIRANK_BIN, MPIEXEC, MPIEXEC_OVERSUBSCRIBE (set by ctest).
"""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import durable_log  # noqa: E402  (tests/support/durable_log.py)
import launcher  # noqa: E402  (tests/support/launcher.py)

BIN = os.environ["MULTIRANK_BIN"]
os.environ["OMPI_MCA_odls_base_sigkill_timeout"] = "0"  # refusals exit 2 at once: no grace needed
failures = 0


def check(what, ok, detail=""):
    global failures
    print(("ok   - " if ok else "FAIL - ") + what)
    if not ok:
        failures += 1
        if detail:
            print("  " + str(detail)[:1500])


def run(ranks, args, timeout=60):
    try:
        p = subprocess.run(launcher.command(ranks, BIN, args), capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return 124, "", "timed out"


def ours(err):
    return [l for l in err.splitlines() if l.startswith("multirank")]


def lines_of(path):
    return open(path, "rb").read().decode().split("\n")[:-1]


def write_lines(path, lines, final_newline=True):
    with open(path, "wb") as f:
        f.write(("\n".join(lines) + ("\n" if final_newline else "")).encode())


def resign(line, edit):
    """`line` edited by `edit` (a function of its record's text without the crc32 member), with
    the checksum recomputed as multirank writes it (tests/support/durable_log.py)."""
    if '"crc32":' not in line:  # a journal without checksums (the format before them): edit only
        return edit(line)
    text, _ = durable_log.split(line)
    return durable_log.sealed(edit(text))


def refused(name, path, args, line_no, pattern, ranks=1):
    """Resumes with the edited journal: exit 2, one line of ours naming the file and line, file unchanged."""
    before = open(path, "rb").read()
    rc, out, err = run(ranks, args)
    mine = ours(err)
    where = f"journal {os.path.basename(path)} line {line_no}" if line_no else f"journal {os.path.basename(path)}"
    good = rc == 2 and len(mine) == 1 and where in mine[0] and re.search(pattern, mine[0]) and not out.strip()
    check(f"{name}: refused with exit 2 and one line naming {where}", bool(good), f"rc={rc} err={err.strip()[:600]}")
    check(f"{name}: the journal is left as it was", open(path, "rb").read() == before)
    check(f"{name}: no raw JSON exception", "json.exception" not in err, err[:300])


work = tempfile.mkdtemp()
os.chdir(work)

# --- rangesum --pattern pool: 199 chunks, so the journal has 200 lines -------------------------
sum_args = ["rangesum", "--n", "199000", "--pattern", "pool", "--chunks", "199", "--json"]
rc, out, err = run(2, sum_args + ["--journal", "sum.jsonl"])
check("a complete rangesum journal is written", rc == 0 and len(lines_of("sum.jsonl")) == 200, err)
total = json.loads(out)["total"] if rc == 0 else "?"
pristine = lines_of("sum.jsonl")
resume = sum_args + ["--journal", "edited.jsonl", "--resume"]
task_line = {}
for i, l in enumerate(pristine[1:], start=2):
    task_line[json.loads(l)["task"]] = i  # 1-based line numbers


def edited(lines, final_newline=True):
    write_lines("edited.jsonl", lines, final_newline)


def at(lines, task, edit):
    out = list(lines)
    out[task_line[task] - 1] = resign(out[task_line[task] - 1], edit)
    return out


def set_field(field, value):
    return lambda text: re.sub(r'"%s":(-?[0-9]+|"[^"]*"|null)' % field, '"%s":%s' % (field, value), text, count=1)


l5 = task_line[5]
edited(at(pristine, 5, lambda t: re.sub(r'"result":"(\d)', lambda m: '"result":"%d' % ((int(m.group(1)) + 1) % 10), t)))
refused("a partial sum changed, its checksum recomputed", "edited.jsonl", resume, l5, r"not the sum of \[")
lines = list(pristine)
lines[l5 - 1] = re.sub(r'"result":"(\d)', lambda m: '"result":"%d' % ((int(m.group(1)) + 1) % 10), lines[l5 - 1])
edited(lines)
refused("a digit changed (checksum not recomputed)", "edited.jsonl", resume, l5, r"checksum")
edited(at(pristine, 5, set_field("task", "6")))
refused("a task moved to another index", "edited.jsonl", resume, l5, r"recorded for the input")
edited(at(pristine, 5, set_field("task", "999")))
refused("task 999", "edited.jsonl", resume, l5, r"task 999 is not one of this run's 199 tasks")
edited(at(pristine, 5, set_field("task", "-1")))
refused("task -1", "edited.jsonl", resume, l5, r"task -1 is not one of")
edited(at(pristine, 5, set_field("result", "12")))
refused('"result": 12', "edited.jsonl", resume, l5, r"result 12 is not valid")
edited(at(pristine, 5, set_field("result", "null")))
refused('"result": null', "edited.jsonl", resume, l5, r"result null is not valid")
edited(at(pristine, 5, set_field("task", '"5"')))
refused('"task": "5"', "edited.jsonl", resume, l5, r'"task" is "5", not a whole number')
dup = list(pristine)
dup.insert(l5, pristine[l5 - 1])
edited(dup)
refused("a duplicated task line", "edited.jsonl", resume, l5 + 1, r"recorded a second time \(first on line %d\)" % l5)
text = list(pristine)
text.insert(49, "a line of text")
edited(text)
refused("a line of text at line 50 of 200", "edited.jsonl", resume, 50, r"not a JSON object")
edited(pristine[:-1] + [pristine[-1][: len(pristine[-1]) // 2]], final_newline=False)
rc, out, err = run(2, resume)
done = json.loads(out) if rc == 0 else {}
check("a torn last line is dropped and its chunk computed again, the total right",
      rc == 0 and done.get("total") == total and done.get("resumed_tasks") == 198, (rc, err[:500]))
check("the resumed journal holds every chunk once",
      sorted(durable_log.verified(l)["task"] for l in lines_of("edited.jsonl")[1:]) == list(range(199)))

# Journals of another format.
old = [json.dumps({"multirank_journal": 1, "command": "rangesum",
                   "options": {"chunks": 199, "kernel": "plain", "lo": 0, "n": 199000}})]
old += [json.dumps({"task": json.loads(l)["task"], "result": json.loads(l)["result"]}) for l in pristine[1:]]
edited(old)
refused("a journal from before the checksums", "edited.jsonl", resume, 0, r"run without --resume")
edited([resign(pristine[0], set_field("multirank_journal", "3"))] + pristine[1:])
refused("a journal of format 3", "edited.jsonl", resume, 0, r"format 3.*reads format 2")

# --- factorial --list --print --check: a value changed with its checksum recomputed --------------
fac = ["factorial", "--list", "2000,3000,4000", "--print", "--check"]
rc, out, err = run(2, fac + ["--journal", "fac.jsonl"])
check("a complete factorial journal is written", rc == 0, err)
lines = lines_of("fac.jsonl")
row = next(i for i, l in enumerate(lines) if '"task":1' in l)
def change_digit(t):
    value = re.search(r'"value":"(\d+)"', t).group(1)
    wrong = value[:100] + ("1" if value[100] != "1" else "2") + value[101:]
    return t.replace(value, wrong)
lines[row] = resign(lines[row], change_digit)
write_lines("fac.jsonl", lines)
rc, out, err = run(2, fac + ["--journal", "fac.jsonl", "--resume"])
check("factorial --check: a journaled 3000! changed (checksum recomputed) is found to differ, not 'exact'",
      rc != 0 and rc != 124 and "differs from mpz_fac_ui" in err and not re.search(r"\n\s+1\s+3000 .* exact", out),
      (rc, out[-400:], err[-400:]))
lines[row] = resign(lines[row], lambda t: t.replace('"digits":9131', '"digits":9132'))
write_lines("fac.jsonl", lines)
refused("a factorial whose digits disagree with its value", "fac.jsonl", fac + ["--journal", "fac.jsonl", "--resume"],
        row + 1, r"not a number of \"digits\" digits")

# --- imbalance: a task moved -----------------------------------------------------------------
imb = ["imbalance", "--scale", "0.01", "--no-sequential"]
rc, out, err = run(2, imb + ["--journal", "imb.jsonl"])
lines = lines_of("imb.jsonl")
row = next(i for i, l in enumerate(lines) if '"task":2' in l)
lines[row] = resign(lines[row], set_field("task", "3"))
write_lines("imb.jsonl", lines)
refused("imbalance: a task moved to another index", "imb.jsonl", imb + ["--journal", "imb.jsonl", "--resume"],
        row + 1, r"(recorded for the input|recorded a second time)")

print(f"{failures} check(s) failed" if failures else "all checks passed")
sys.exit(1 if failures else 0)
