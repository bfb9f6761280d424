#!/usr/bin/env bash
# A study file written by the library at 2 ranks, read by h5py (fields and values) and h5dump.
set -u
source "$MULTIRANK_SOURCE_DIR/tests/e2e/lib.sh"
MAKE_STUDY_FILE=$1
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

# h5py comes from Debian's python3-h5py: use the system interpreter that has it.
PY=""
for candidate in /usr/bin/python3 python3; do
  if "$candidate" -c "import h5py" 2>/dev/null; then PY=$candidate; break; fi
done
expect "an interpreter with h5py is installed (python3-h5py)" [ -n "$PY" ]

timeout -k 5 60 "$MPIEXEC" -n 2 $MPIEXEC_OVERSUBSCRIBE "$MAKE_STUDY_FILE" "$work/s.h5" >/dev/null; rc=$?
expect "the synthetic study file is written at 2 ranks" [ "$rc" -eq 0 ]
timeout -k 5 60 "$MPIEXEC" -n 2 $MPIEXEC_OVERSUBSCRIBE "$MAKE_STUDY_FILE" "$work/s.h5" --append --app factorial --mode weak --no-tasks >/dev/null; rc=$?
expect "a second run is appended" [ "$rc" -eq 0 ]

out=$("$PY" - "$work/s.h5" <<'PYEOF' 2>&1
import sys, socket, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
assert f.attrs["schema_version"] == 2, f.attrs["schema_version"]
assert f.attrs["format"] == b"multirank-study"
for key in ["multirank_version", "git_commit", "compiler", "compiler_flags", "mpi_library_version", "hdf5_version"]:
    assert len(f.attrs[key]) > 0, key
assert f.attrs["hdf5_version"].startswith(b"1.")
assert sorted(k for k in f.keys()) == ["run_0001", "run_0002"], list(f.keys())
r = f["run_0001"]
assert r.attrs["app"] == b"rangesum" and r.attrs["mode"] == b"strong" and r.attrs["metric"] == b"wall"
assert "program_path" not in r.attrs and "output" not in r  # a built-in app's run
assert list(r.attrs["ranks"]) == [1, 2, 4]
assert r.attrs["reps"] == 5 and r.attrs["world_size"] == 2
assert r.attrs["options"] == b'{"n": 1000}'
assert r.attrs["start_utc"].endswith(b"Z") and r.attrs["start_utc"][4:5] == b"-"
assert list(r.attrs["host_names"]) == [socket.gethostname().encode()], r.attrs["host_names"]
assert b"OMP_NUM_THREADS=1" in list(r.attrs["environment"])  # ctest sets it
s = r["samples"]
assert s.dtype.names == ("p", "rep", "wall_seconds", "rank_min_seconds", "rank_max_seconds", "metric", "exit_code"), s.dtype.names
assert np.allclose(s["metric"], s["wall_seconds"]) and list(s["exit_code"]) == [0] * 15  # metric "wall"
assert s.shape == (15,) and s.maxshape == (None,) and s.chunks is not None
assert list(s["p"][:5]) == [1] * 5 and list(s["rep"][:5]) == [0, 1, 2, 3, 4]
assert np.allclose(s["wall_seconds"][:5], [10.0, 10.01, 10.02, 10.03, 10.04])
assert np.allclose(s["wall_seconds"][10:], 4.0 + 0.01 * np.arange(5))
m = r["summary"]
assert list(m["p"]) == [1, 2, 4]
assert np.allclose(m["median"], [10.02, 6.02, 4.02])
assert np.allclose(m["speedup"], [1.0, 10.02 / 6.02, 10.02 / 4.02])
assert np.allclose(m["efficiency"], [1.0, 10.02 / 6.02 / 2, 10.02 / 4.02 / 4])
assert np.isnan(m["karp_flatt"][0]) and np.isclose(m["karp_flatt"][2], (4.02 / 10.02 - 0.25) / 0.75)
t = r["tasks"]
assert t.dtype.names == ("task_id", "rank", "host", "pid", "queued", "start", "end", "bytes_in", "bytes_out",
                         "attempt", "exit_code", "command"), t.dtype.names
# The command is a fixed-length string sized to the longest command of any rank (rank 1's here).
assert t.dtype["command"].kind == "S" and t.dtype["command"].itemsize == len(b"task 5 of rank 1 " + b"x" * 1)
assert list(t["command"]) == [b"task %d of rank %d " % (i, i // 3) + b"x" * (i // 3) for i in range(6)], list(t["command"])
assert list(t["attempt"]) == [1, 2, 1, 1, 2, 1] and list(t["exit_code"]) == [0, 0, 3, 0, 0, 3]
assert t.shape == (6,) and t.maxshape == (None,)
assert list(t["task_id"]) == [0, 1, 2, 3, 4, 5] and list(t["rank"]) == [0, 0, 0, 1, 1, 1]
assert np.allclose(t["start"], [1000, 1001, 1002, 1000.1, 1001.1, 1002.1])
assert np.allclose(t["end"] - t["start"], 0.9)
assert all(t["pid"] > 0) and list(t["host"]) == [0] * 6 and list(t["bytes_out"]) == [16] * 6
h = r["hosts"]
assert h.dtype.kind == "S" and list(h[:]) == [socket.gethostname().encode()]
assert list(r["rank_hosts"][:]) == [0, 0]
r2 = f["run_0002"]
assert r2.attrs["app"] == b"factorial" and r2.attrs["mode"] == b"weak" and r2["tasks"].shape == (0,)
assert np.allclose(r2["summary"]["efficiency"], [1.0, 10.02 / 12.52, 10.02 / 17.52])
print("h5py ok")
PYEOF
)
expect "h5py reads the fields and values: $out" [ "$out" = "h5py ok" ]

out=$(h5dump -H "$work/s.h5" 2>&1); rc=$?
expect "h5dump reads the whole file's structure" [ "$rc" -eq 0 ]
expect "h5dump shows the schema_version and the compound samples" \
  bash -c 'grep -q "schema_version" <<<"$1" && grep -q "\"wall_seconds\"" <<<"$1" && grep -q "H5T_STRING" <<<"$1"' _ "$out"
out=$(h5dump -d /run_0001/summary "$work/s.h5" 2>&1); rc=$?
expect "h5dump prints the summary values" bash -c '[ "$1" -eq 0 ] && grep -q "10.02" <<<"$2"' _ "$rc" "$out"
finish
