# Several "hosts" on one machine for the tests: one network namespace per host, each with its own
# address on a private subnet, joined by veth pairs to a bridge that lives in a namespace of its own
# (nothing is added to the root namespace). Sourced by the tests.
#
#   hosts_start N DIR   makes N hosts (addresses ${hosts_subnet}.1 .. .N), writes DIR/agent (the
#                       launch agent for mpirun's plm_rsh_agent) and DIR/hostfile
#   hosts_exec I CMD... runs CMD on host I (1-based), inside its namespace with its own host name
#   hosts_stop          kills what still runs in the namespaces, deletes them (and with them the links)
#   hosts_reap_stale    deletes the namespaces of an earlier run whose shell is gone (killed outright,
#                       so its trap could not run)
#
# Host I is named ${hosts_prefix}I and has the address ${hosts_subnet}.I; the agent maps an address
# or a host name to its namespace, so mpirun --host takes addresses and never needs /etc/hosts.

hosts_subnet=10.77.0
hosts_prefix=mrnode
hosts_tag="mr$$"
hosts_names=()
hosts_count=0

_hosts_ns() { echo "${hosts_tag}h$1"; }

hosts_start() {
  hosts_count=$1
  local dir=$2 i ns sw
  sw="${hosts_tag}sw"
  hosts_names+=("$sw")
  ip netns add "$sw" || return 1
  ip -n "$sw" link add br0 type bridge || return 1
  ip -n "$sw" link set br0 up || return 1
  for ((i = 1; i <= hosts_count; i++)); do
    ns=$(_hosts_ns "$i")
    hosts_names+=("$ns")
    ip netns add "$ns" || return 1
    ip -n "$ns" link set lo up || return 1
    # Both ends are created directly in their namespaces: no interface ever appears in the root one.
    ip -n "$ns" link add eth0 type veth peer name "port$i" netns "$sw" || return 1
    ip -n "$sw" link set "port$i" master br0 up || return 1
    ip -n "$ns" addr add "${hosts_subnet}.$i/24" dev eth0 || return 1
    ip -n "$ns" link set eth0 up || return 1
  done
  # The launch agent: mpirun calls it as AGENT HOST COMMAND...; it runs the command in that host's
  # namespace under its own UTS namespace, so gethostname() there says ${hosts_prefix}I.
  cat >"$dir/agent" <<EOF
#!/bin/sh
# Launch agent for mpirun --mca plm_rsh_agent: runs a command on a namespace "host".
host=\$1; shift
case "\$host" in
  ${hosts_subnet}.*) i=\${host##*.} ;;
  ${hosts_prefix}*) i=\${host#${hosts_prefix}} ;;
  *) echo "agent: unknown host \$host" >&2; exit 255 ;;
esac
exec ip netns exec ${hosts_tag}h\$i unshare --uts sh -c "hostname ${hosts_prefix}\$i; \$*"
EOF
  chmod +x "$dir/agent"
  : >"$dir/hostfile"
  for ((i = 1; i <= hosts_count; i++)); do
    echo "${hosts_subnet}.$i slots=2" >>"$dir/hostfile"
  done
}

hosts_exec() {
  local i=$1; shift
  ip netns exec "$(_hosts_ns "$i")" unshare --uts sh -c 'hostname "$0"; exec "$@"' "${hosts_prefix}$i" "$@"
}

hosts_reap_stale() {
  local ns pid
  for ns in $(ip netns list | awk '{print $1}' | grep -E '^mr[0-9]+(sw|h[0-9]+)$'); do
    pid=${ns#mr}; pid=${pid%%[sh]*}
    kill -0 "$pid" 2>/dev/null && continue
    [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] || continue
    ip netns del "$ns" 2>/dev/null && echo "removed the namespace $ns left by an earlier run"
  done
}

hosts_stop() {
  local ns pid
  for ns in "${hosts_names[@]}"; do
    # Only processes inside the test's own namespaces: mpirun, its daemons and ranks.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null; done
  done
  sleep 0.2
  for ns in "${hosts_names[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  hosts_names=()
}

# hosts_test_begin TOOL... : what every test across the namespace hosts checks first. Skips (exit
# 77, saying why) on MPICH, when not root, or when network namespaces are not permitted here;
# fails when a TOOL it needs is missing.
hosts_test_begin() {
  local tool
  if [ "${MULTIRANK_MPI_VENDOR:-openmpi}" != openmpi ]; then
    echo "SKIP: the namespace hosts are reached through Open MPI's rsh agent (plm_rsh_agent); Hydra's launcher is not wired up here"; exit 77
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: network namespaces need root"; exit 77
  fi
  for tool in ip unshare "$@"; do
    command -v "$tool" >/dev/null || { echo "FAIL - $tool is missing (scripts/test.sh installs it)"; exit 1; }
  done
  if ! ip netns add "${hosts_tag}probe" 2>/dev/null; then
    echo "SKIP: ip netns add is not permitted here"; exit 77
  fi
  ip netns del "${hosts_tag}probe"
}
