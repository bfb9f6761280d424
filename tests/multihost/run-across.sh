#!/usr/bin/env bash
# Runs one multirank command across HOSTS network-namespace "hosts" on this machine (one rank per
# host, MPI over TCP on veth links), then removes the namespaces. For trying multi-host behaviour and
# measuring TCP against shared memory without a cluster. Needs root.
#
# Usage:   tests/multihost/run-across.sh HOSTS SUBCOMMAND [options]
#          MULTIRANK_BIN=build/bin/multirank tests/multihost/run-across.sh 2 bench pipe
#          RANKS_PER_HOST=2 tests/multihost/run-across.sh 3 hello
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/multihost/hosts.sh
source "$here/hosts.sh"
count=${1:?usage: run-across.sh HOSTS SUBCOMMAND [options]}; shift
[[ $count =~ ^[1-9][0-9]?$ ]] || { echo "error: HOSTS is a number of hosts, not '$count'" >&2; exit 2; }
[ "$#" -gt 0 ] || { echo "usage: run-across.sh HOSTS SUBCOMMAND [options]" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "error: network namespaces need root" >&2; exit 2; }
bin=${MULTIRANK_BIN:-$here/../../build/bin/multirank}
per_host=${RANKS_PER_HOST:-1}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

dir=$(mktemp -d)
trap 'hosts_stop; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM
hosts_reap_stale
hosts_start "$count" "$dir" || exit 1
spec=""
for ((i = 1; i <= count; i++)); do spec+="${spec:+,}${hosts_subnet}.$i:$per_host"; done
hosts_exec 1 "${MPIEXEC:-mpirun}" -n $((count * per_host)) --host "$spec" \
  --mca plm_rsh_agent "$dir/agent" --mca btl tcp,self \
  --mca btl_tcp_if_include "${hosts_subnet}.0/24" --mca oob_tcp_if_include "${hosts_subnet}.0/24" \
  "$bin" "$@"
