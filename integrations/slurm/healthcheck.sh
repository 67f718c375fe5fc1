#!/bin/bash
# Slurm HealthCheckProgram: check the node's accelerator stack with chipdoctor and drain the node
# when the stack is incompatible, with the finding ids as the reason.
#
# Install as root on every compute node, e.g. /usr/local/sbin/chipdoctor-healthcheck (mode 0755),
# and in slurm.conf:
#   HealthCheckProgram=/usr/local/sbin/chipdoctor-healthcheck
#   HealthCheckInterval=600
#
# slurm.conf(5): the program runs on every node, is killed if it does not finish within 60
# seconds, and also runs when slurmd starts, before it registers. Slurm does not act on its exit
# code: a health check drains the node itself. SchedMD's commit b31fa177 makes slurmd re-run it
# at start until it exits 0 (registration waits), so this wrapper always exits 0 and says what it
# did in the log and the drain reason.
# slurmd passes it no PATH (only SLURMD_NODENAME): it sets its own, and chipdoctor and scontrol
# are named by absolute path.
#
#   chipdoctor exit 1 (incompatible): scontrol update nodename=<node> state=drain
#                                     reason="chipdoctor: <finding ids>"
#   chipdoctor exit 0:                nothing
#   anything else (2 bad option or policy, 3 internal, a timeout, not installed): logged only,
#   because a broken tool must not drain the cluster; CHIPDOCTOR_DRAIN_ON_FAILURE=yes drains with
#   reason "chipdoctor: could not check (exit N)" instead.
# Why goes to syslog (`journalctl -t chipdoctor`) and stderr.
#
# Settings: a shell fragment in /etc/chipdoctor/healthcheck.conf (CHIPDOCTOR_HEALTHCHECK_CONF
# names another file), the only place they can come from under slurmd:
#   CHIPDOCTOR          chipdoctor's absolute path (default /usr/local/bin/chipdoctor)
#   SCONTROL            scontrol's absolute path (default /usr/bin/scontrol)
#   CHIPDOCTOR_TIMEOUT  seconds the check may take (default 30; with scontrol's 10 the whole
#                       program stays well under Slurm's 60)
#   CHIPDOCTOR_ARGS     more `chipdoctor check` arguments, split on spaces, e.g.
#                       --strict --policy /etc/chipdoctor/policy.yaml --python /opt/venv/bin/python
#   CHIPDOCTOR_DRAIN_ON_FAILURE  yes: drain on chipdoctor's own failure too (default no)
#   SLURM_CONF          export it here if slurm.conf is not where scontrol looks by default
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

conf="${CHIPDOCTOR_HEALTHCHECK_CONF:-/etc/chipdoctor/healthcheck.conf}"
if [ -r "$conf" ]; then
  # shellcheck disable=SC1090  # the administrator's settings file
  . "$conf"
fi

chipdoctor="${CHIPDOCTOR:-/usr/local/bin/chipdoctor}"
scontrol="${SCONTROL:-/usr/bin/scontrol}"
limit="${CHIPDOCTOR_TIMEOUT:-30}"
node="${SLURMD_NODENAME:-$(hostname -s)}"

log() {
  logger -t chipdoctor -- "$*" 2>/dev/null || true
  echo "chipdoctor healthcheck: $*" >&2
}

drain() {
  # Slurm keeps a reason short in its displays: the ids are cut at 200 characters.
  local reason="chipdoctor: ${1:0:200}"
  if timeout --kill-after=2 10 "$scontrol" update nodename="$node" state=drain reason="$reason"; then
    log "node $node drained: $reason"
  else
    log "node $node: scontrol could not drain it ($reason)"
  fi
}

if [ ! -x "$chipdoctor" ]; then
  status=127
  output="$chipdoctor is not installed"
else
  # `--format github` gives one `::error title=<finding id>::<message>` line per finding.
  # shellcheck disable=SC2086  # CHIPDOCTOR_ARGS is split on spaces on purpose
  output="$(
    set -o pipefail
    timeout --kill-after=5 "$limit" "$chipdoctor" check --format github ${CHIPDOCTOR_ARGS:-} 2>&1 | head -c 65536
  )"
  status=$?
fi

case "$status" in
  0) ;;
  1)
    ids="$(printf '%s\n' "$output" | sed -n 's/^::error title=\([^:]*\)::.*/\1/p' | sort -u | paste -sd, -)"
    if [ -z "$ids" ]; then # --strict: warnings failed the check
      ids="$(printf '%s\n' "$output" | sed -n 's/^::warning title=\([^:]*\)::.*/\1/p' | sort -u | paste -sd, -)"
    fi
    drain "${ids:-incompatible accelerator stack}"
    ;;
  *)
    log "node $node: chipdoctor could not check the stack (exit $status): $(printf '%s' "$output" | tail -n 3 | tr '\n' ' ' | cut -c 1-500)"
    if [ "${CHIPDOCTOR_DRAIN_ON_FAILURE:-no}" = yes ]; then
      drain "could not check (exit $status)"
    fi
    ;;
esac
exit 0
