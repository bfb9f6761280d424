#!/usr/bin/env python3
"""Kill a journaled run at a random point, resume it, and compare with an uninterrupted run.

For each seed: a random factorial --list (or imbalance task list) runs with --journal on a random
rank count and is killed at a random point (SIGKILL to one random rank, SIGKILL to every rank,
or SIGTERM to mpirun). The journal must then hold only whole, distinct, finished tasks (at most a
torn last line). A --resume run (on another random rank count) must print exactly the tasks of an
uninterrupted run (their deterministic fields, byte for byte), report resumed_tasks equal to the
journal's entries, and compute exactly the tasks the journal lacked; the journal ends complete
with every task once, and a second --resume computes nothing.

Environment: MULTIRANK_BIN, MPIEXEC, MPIEXEC_OVERSUBSCRIBE (set by ctest); RELIABILITY_SEEDS="1,2,3" to choose seeds.
"""
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import launcher  # noqa: E402  (tests/support/launcher.py)

BIN = os.environ["MULTIRANK_BIN"]
SEEDS = [int(s) for s in os.environ.get("RELIABILITY_SEEDS", "101,202,303,404,505").split(",")]
failures = 0
partial_journals = []  # seeds whose kill left some tasks done and some not


def command(ranks, args):
    return launcher.command(ranks, BIN, args)


def run(ranks, args, timeout=120):
    p = subprocess.run(command(ranks, args), capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def expect(what, ok, detail=""):
    global failures
    print(("ok   - " if ok else "FAIL - ") + what, flush=True)
    if not ok:
        failures += 1
        if detail:
            print("  " + str(detail)[:3000])


def read_journal(path):
    """(header, {task: result}, torn) of a journal; asserts every complete line is a distinct task."""
    data = open(path, "rb").read()
    lines = data.split(b"\n")
    torn = lines[-1] != b""  # bytes after the last newline
    lines = lines[:-1]
    header = json.loads(lines[0])
    done = {}
    for line in lines[1:]:
        entry = json.loads(line)
        assert entry["task"] not in done, f"task {entry['task']} journaled twice"
        done[entry["task"]] = entry["result"]
    return header, done, torn


def deterministic(app, stdout):
    """The fields of the tasks that do not depend on timing, placement or resumption, as JSON text."""
    d = json.loads(stdout)
    keys = ("task", "n", "digits", "exact") if app == "factorial" else ("id", "size", "complexity", "result")
    return json.dumps([{k: t[k] for k in keys if k in t} for t in d["tasks"]], sort_keys=True)


def computed(stdout):
    """Tasks computed by this run (they carry rank/host/pid); journal ones do not."""
    d = json.loads(stdout)
    return [i for i, t in enumerate(d["tasks"]) if "rank" in t]


def workload(rng):
    if rng.random() < 0.7:
        count = 150
        values = [rng.randrange(20000, 110000) for _ in range(count)]
        return "factorial", count, ["factorial", "--list", ",".join(map(str, values)), "--check"]
    count = 60
    spec = ",".join(f"{i + 1}:{rng.randrange(500, 3000)}K:{rng.randrange(0, 3)}" for i in range(count))
    return "imbalance", count, ["imbalance", "--tasks", spec, "--no-sequential", "--schedule", "dynamic"]


def one_seed(seed, position, work):
    rng = random.Random(seed)
    app, total, args = workload(rng)
    ranks = rng.choice([2, 3, 4])
    resume_ranks = rng.choice([1, 2, 3, 4])
    how = ["sigkill-rank", "sigterm", "sigkill-all"][position % 3]  # every kind in any three seeds
    when = rng.uniform(0.0, 1.0)  # the kill's instant, as a fraction of an uninterrupted run's time
    journal = os.path.join(work, f"journal-{seed}.jsonl")
    tag = f"seed {seed} ({app}, {total} tasks, {ranks} ranks, {how} at {when:.0%} of the run, resume on {resume_ranks})"
    print(f"# {tag}", flush=True)

    rc, ref_out, ref_err = run(ranks, args + ["--json"])
    expect(f"{tag}: the uninterrupted run succeeds", rc == 0, ref_err)
    if rc != 0:
        return
    reference = deterministic(app, ref_out)
    ref_seconds = json.loads(ref_out)["seconds"]

    # The run to kill.
    start = time.monotonic()
    proc = subprocess.Popen(command(ranks, args + ["--journal", journal, "--json"]),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # The journal appears (header only) just before the tasks start.
    while proc.poll() is None and not os.path.exists(journal) and time.monotonic() - start < 60:
        time.sleep(0.005)
    time.sleep(when * ref_seconds)
    killed_at = time.monotonic()
    if proc.poll() is None:
        pids = launcher.rank_pids(proc.pid)
        if how == "sigterm":
            proc.send_signal(signal.SIGTERM)
        elif how == "sigkill-all":
            for pid in pids.values():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        else:
            victim = rng.randrange(ranks)
            print(f"  SIGKILL to rank {victim}", flush=True)
            if victim in pids:
                try:
                    os.kill(pids[victim], signal.SIGKILL)
                except ProcessLookupError:
                    pass
    try:
        _, kill_err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, kill_err = proc.communicate()
        expect(f"{tag}: the killed job ends", False, kill_err)
        return
    ended = time.monotonic() - killed_at
    print(f"  killed run: exit {proc.returncode}, ended {ended:.2f} s after the kill", flush=True)
    expect(f"{tag}: the killed job ends within 10 s", ended < 10, kill_err)

    try:
        header, done, torn = read_journal(journal)
    except Exception as e:  # noqa: BLE001 - any damage is a failure
        expect(f"{tag}: the journal holds whole, distinct lines", False, repr(e))
        return
    expect(f"{tag}: the journal header names the run", header.get("command") == app, header)
    expect(f"{tag}: journaled task ids are valid", all(0 <= t < total for t in done), sorted(done))
    if torn:
        print("  (the journal ends with a torn line, which resume drops)")
    print(f"  journal: {len(done)} of {total} task(s)", flush=True)
    if 0 < len(done) < total:
        partial_journals.append(seed)

    rc, out, err = run(resume_ranks, args + ["--journal", journal, "--resume", "--json"])
    expect(f"{tag}: the resumed run succeeds", rc == 0, err)
    if rc != 0:
        return
    d = json.loads(out)
    expect(f"{tag}: output identical to the uninterrupted run's", deterministic(app, out) == reference,
           (deterministic(app, out)[:500], reference[:500]))
    expect(f"{tag}: resumed_tasks equals the journal's entries ({len(done)})", d.get("resumed_tasks") == len(done),
           d.get("resumed_tasks"))
    again = computed(out)
    expect(f"{tag}: only the missing tasks were recomputed ({total - len(done)})",
           sorted(again) == sorted(set(range(total)) - set(done)), (sorted(again), sorted(done)))
    expect(f"{tag}: the completion order lists each recomputed task once",
           len(d["completion_order"]) == total - len(done), d["completion_order"])
    _, done_after, torn_after = read_journal(journal)
    expect(f"{tag}: the journal now holds every task once", sorted(done_after) == list(range(total)) and not torn_after,
           sorted(done_after))

    rc, out, err = run(resume_ranks, args + ["--journal", journal, "--resume", "--json"])
    d = json.loads(out) if rc == 0 else {}
    expect(f"{tag}: a second resume computes nothing and prints the same",
           rc == 0 and d.get("resumed_tasks") == total and not computed(out) and deterministic(app, out) == reference,
           err)


def main():
    with tempfile.TemporaryDirectory() as work:
        for position, seed in enumerate(SEEDS):
            one_seed(seed, position, work)
    expect(f"at least one kill landed mid-run (seeds {partial_journals})", len(partial_journals) >= 1)
    if failures:
        print(f"{failures} check(s) failed")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
