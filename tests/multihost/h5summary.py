#!/usr/bin/env python3
"""Summarise a multirank study file as JSON, reading it with h5dump (hdf5-tools) only.

Usage: h5summary.py FILE.h5
Prints {"format": ..., "schema_version": ..., "runs": {"run_0001": {...}, ...}} where each run has
app, mode, ranks, world_size, slurm_job_id (or null), hosts, rank_hosts, task_ids and task_hosts
(the id and host index of every task record), samples and summary (row counts). Exits 1 with h5dump's message when the file
is not valid HDF5 or lacks the datasets every run has.
"""
import json
import re
import subprocess
import sys
import tempfile

STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
COMPOUND = re.compile(r'\{((?:[^{}"]|"(?:[^"\\]|\\.)*")*)\}')
CELL = re.compile(r'("(?:[^"\\]|\\.)*"|[^,]+)')


def h5dump(*args):
    result = subprocess.run(["h5dump", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"h5dump {' '.join(args)}: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


def attribute(path, name):
    """The values of an attribute (a list), or None when it is absent."""
    try:
        text = h5dump("-a", f"{path}/{name}" if path != "/" else f"/{name}", FILE)
    except RuntimeError:
        return None
    data = text.split("DATA {", 1)[1]
    strings = STRING.findall(data)
    if strings:
        return strings
    return [float(v) if "." in v or "e" in v else int(v)
            for v in re.findall(r"-?[0-9][0-9.e+-]*", re.sub(r"\(\d+(,\d+)*\):", "", data))]


def dataset_rows(path):
    """A dataset's data as rows: strings, numbers, or lists of numbers for compound rows."""
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as out:
        h5dump("-y", "-w", "0", "-d", path, "-o", out.name, FILE)
        text = out.read()
    if "{" in text:  # compound rows; schema 2's tasks end with a string member (the command)
        rows = []
        for row in COMPOUND.findall(text):
            cells = [c.strip() for c in CELL.findall(row)]
            rows.append([STRING.fullmatch(c).group(1) if c.startswith('"') else float(c) for c in cells if c])
        return rows
    if '"' in text:
        return STRING.findall(text)
    return [int(v) if re.fullmatch(r"-?\d+", v.strip()) else float(v) for v in text.split(",") if v.strip()]


def main():
    listing = h5dump("-n", FILE)
    runs = sorted(set(re.findall(r"group\s+/(run_\d{4})\s*$", listing, re.M)))
    summary = {
        "format": (attribute("/", "format") or [None])[0],
        "schema_version": (attribute("/", "schema_version") or [None])[0],
        "runs": {},
    }
    for run in runs:
        base = f"/{run}"
        tasks = dataset_rows(f"{base}/tasks") if f"{base}/tasks" in listing else []
        summary["runs"][run] = {
            "app": (attribute(base, "app") or [None])[0],
            "mode": (attribute(base, "mode") or [None])[0],
            "ranks": attribute(base, "ranks"),
            "world_size": (attribute(base, "world_size") or [None])[0],
            "slurm_job_id": (attribute(base, "slurm_job_id") or [None])[0],
            "hosts": dataset_rows(f"{base}/hosts"),
            "rank_hosts": dataset_rows(f"{base}/rank_hosts"),
            "task_ids": [int(row[0]) for row in tasks],  # task_id, rank, host, pid, ...
            "task_hosts": [int(row[2]) for row in tasks],
            "samples": len(dataset_rows(f"{base}/samples")),
            "summary": len(dataset_rows(f"{base}/summary")) if f"{base}/summary" in listing else 0,
        }
    json.dump(summary, sys.stdout)
    print()


if __name__ == "__main__":
    FILE = sys.argv[1]
    try:
        main()
    except (RuntimeError, IndexError) as error:
        print(f"h5summary: {FILE}: {error}", file=sys.stderr)
        sys.exit(1)
