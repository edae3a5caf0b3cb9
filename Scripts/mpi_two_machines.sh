#!/usr/bin/env bash
# Runs `deepgen ARGS…` as a data-parallel job of two "machines" on this one: two network
# namespaces (hosts 10.77.0.1 and 10.77.0.2) joined by a veth pair, with Open MPI talking TCP
# between them only (no shared memory), as on a cluster. mpirun starts in the first namespace and
# launches the second rank through an "ssh" that enters the other namespace. Needs root (ip netns)
# and Open MPI. Everything it sets up is removed when it exits.
#
#   Scripts/mpi_two_machines.sh DEEPGEN_BINARY ARGS…
#
# On real machines the same job is `mpirun --hostfile hosts -np 2 deepgen ARGS…` with a hostfile
# naming the machines (`node1 slots=1`), passwordless ssh between them, deepgen and the data at
# the same paths on each, and `--mca btl_tcp_if_include` naming the network to use.
set -euo pipefail
deepgen="${1:?usage: Scripts/mpi_two_machines.sh DEEPGEN_BINARY ARGS…}"
shift
[ "$(id -u)" -eq 0 ] || { echo "mpi_two_machines.sh: network namespaces need root" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "mpi_two_machines.sh: mpirun not found (apt-get install openmpi-bin)" >&2; exit 1; }

tag="dg$$"
work="$(mktemp -d)"
cleanup() {
  ip netns del "${tag}a" 2>/dev/null || true
  ip netns del "${tag}b" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "${tag}a"
ip netns add "${tag}b"
ip link add "${tag}va" type veth peer name "${tag}vb"
ip link set "${tag}va" netns "${tag}a"
ip link set "${tag}vb" netns "${tag}b"
ip -n "${tag}a" addr add 10.77.0.1/24 dev "${tag}va"
ip -n "${tag}b" addr add 10.77.0.2/24 dev "${tag}vb"
for side in a b; do
  ip -n "${tag}$side" link set "${tag}v$side" up
  ip -n "${tag}$side" link set lo up
done

# Open MPI's remote shell: "host command…" runs the command in that host's namespace, and notes it.
cat >"$work/enter" <<AGENT
#!/bin/sh
host="\$1"; shift
case "\$host" in
  10.77.0.1) ns=${tag}a ;;
  10.77.0.2) ns=${tag}b ;;
  *) echo "unknown host \$host" >&2; exit 255 ;;
esac
echo "launched on \$host in network namespace \$ns" >>"$work/launches"
exec ip netns exec "\$ns" /bin/sh -c "\$*"
AGENT
chmod +x "$work/enter"
printf '10.77.0.1 slots=1\n10.77.0.2 slots=1\n' >"$work/hosts"

status=0
ip netns exec "${tag}a" mpirun --allow-run-as-root --hostfile "$work/hosts" -np 2 --map-by node \
  --mca plm_rsh_agent "$work/enter" --mca btl tcp,self \
  --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
  "$deepgen" "$@" || status=$?
cat "$work/launches" 2>/dev/null || echo "no rank was launched through the second namespace"
exit "$status"
