#!/usr/bin/env python3
"""Reads a farm status file the way a user's own tool would, independently of multirank: every
line complete, JSON, ending with "crc32", the CRC-32 of the line's text without that member, a
farm header first and the documented fields on every attempt. Prints {"header": ..., "records": [...]} as JSON;
exits 1 with a message naming the line when something is wrong.

Usage: status_check.py FILE [--allow-torn]"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import durable_log  # noqa: E402  (tests/support/durable_log.py: the line format, written once)

FIELDS = {"task": int, "command": str, "exit_code": int, "signal": int, "timed_out": bool, "attempt": int,
          "rank": int, "host": str, "pid": int, "start": str, "end": str, "seconds": (int, float)}
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def fail(msg):
    print(f"status_check: {msg}", file=sys.stderr)
    sys.exit(1)


def main():
    path = sys.argv[1]
    allow_torn = "--allow-torn" in sys.argv[2:]
    data = open(path, "rb").read()
    if data and not data.endswith(b"\n") and not allow_torn:
        fail(f"{path}: the last line is torn")
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    elif allow_torn and lines:
        lines.pop()
    header, records = None, []
    for n, raw in enumerate(lines, 1):
        text = raw.decode("utf-8")
        try:
            rec = durable_log.verified(text)
        except (AssertionError, ValueError) as e:
            fail(f"{path} line {n}: {e}")
        if n == 1:
            if rec.get("multirank_farm") != 1 or "tasks" not in rec or "tasks_path" not in rec:
                fail(f"{path} line 1: not a farm header: {rec}")
            header = rec
            continue
        for key, kind in FIELDS.items():
            if key not in rec or not isinstance(rec[key], kind) or (kind is int and isinstance(rec[key], bool)):
                fail(f"{path} line {n}: field {key} missing or of the wrong type: {rec}")
        for key in ("start", "end"):
            if not ISO.match(rec[key]):
                fail(f"{path} line {n}: {key} is not ISO-8601 UTC: {rec[key]}")
        records.append(rec)
    if header is None:
        fail(f"{path}: no header")
    print(json.dumps({"header": header, "records": records}))


main()
