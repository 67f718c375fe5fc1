#!/bin/bash
# Slurm Prolog: check the node's accelerator stack with chipdoctor before a job starts on it.
#
# Install as root on every compute node, e.g. /etc/slurm/prolog.d/chipdoctor.sh (mode 0755),
# with `Prolog=/etc/slurm/prolog.d/*` in slurm.conf.
#
# Slurm's Prolog and Epilog Guide (https://slurm.schedmd.com/prolog_epilog.html): "If the Prolog
# fails (returns a non-zero exit code), this will result in the node being set to a DRAIN state
# and the job requeued", held unless SchedulerParameters has nohold_on_prolog_fail. So:
#   exit 1  chipdoctor found the stack incompatible (its exit 1), or the check outlived
#           CHIPDOCTOR_TIMEOUT: the node drains, the job goes back to the queue;
#   exit 0  the stack is fine, or chipdoctor itself could not judge (not installed, exit 2 for a
#           bad option or policy, exit 3 for a bug): logged, and the job runs, because a broken
#           tool must not drain the whole cluster.
# Why is logged to syslog (`journalctl -t chipdoctor`) and to stderr. The guide also says
# prologs "should not call Slurm commands (e.g. squeue, scontrol, sacctmgr, etc)", so the drain
# reason Slurm shows stays its own; the finding ids are in the log line.
#
# Settings: environment variables, or a shell fragment in /etc/chipdoctor/prolog.conf
# (CHIPDOCTOR_PROLOG_CONF names another file):
#   CHIPDOCTOR          the chipdoctor command (default: chipdoctor on PATH)
#   CHIPDOCTOR_TIMEOUT  seconds the whole check may take (default 30); chipdoctor's own
#                       --timeout (10 s per vendor tool) stays in force inside it
#   CHIPDOCTOR_ARGS     more `chipdoctor check` arguments, split on spaces, e.g.
#                       --strict --policy /etc/chipdoctor/policy.yaml --python /opt/venv/bin/python
set -u

# NOTE: the guide: "these programs do not have a search path set".
export PATH="${PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}"

conf="${CHIPDOCTOR_PROLOG_CONF:-/etc/chipdoctor/prolog.conf}"
if [ -r "$conf" ]; then
  # shellcheck disable=SC1090  # the administrator's settings file
  . "$conf"
fi

node="${SLURMD_NODENAME:-$(hostname)}"
job="${SLURM_JOB_ID:-unknown}"
chipdoctor="${CHIPDOCTOR:-chipdoctor}"
limit="${CHIPDOCTOR_TIMEOUT:-30}"

log() {
  logger -t chipdoctor -- "$*" 2>/dev/null || true
  echo "chipdoctor prolog: $*" >&2
}

if ! command -v "$chipdoctor" >/dev/null 2>&1; then
  log "node $node, job $job: $chipdoctor is not installed; the stack was not checked"
  exit 0
fi

# `--format github` gives one `::error title=<finding id>::<message>` line per finding.
# shellcheck disable=SC2086  # CHIPDOCTOR_ARGS is split on spaces on purpose
output="$(timeout --kill-after=5 "$limit" "$chipdoctor" check --format github ${CHIPDOCTOR_ARGS:-} 2>&1)"
status=$?

case "$status" in
  0)
    exit 0
    ;;
  1)
    ids="$(printf '%s\n' "$output" | sed -n 's/^::error title=\([^:]*\)::.*/\1/p' | sort -u | paste -sd, -)"
    if [ -z "$ids" ]; then # --strict: warnings failed the check
      ids="$(printf '%s\n' "$output" | sed -n 's/^::warning title=\([^:]*\)::.*/\1/p' | sort -u | paste -sd, -)"
    fi
    log "node $node, job $job: incompatible accelerator stack ($ids); failing the prolog drains the node"
    printf '%s\n' "$output" | grep -E '^::(error|warning) ' | while IFS= read -r line; do
      log "node $node: ${line#::}"
    done
    exit 1
    ;;
  124 | 137)
    log "node $node, job $job: chipdoctor check did not finish in ${limit}s (a vendor tool or the driver hangs?); failing the prolog drains the node"
    exit 1
    ;;
  *)
    log "node $node, job $job: chipdoctor could not check the stack (exit $status): $(printf '%s' "$output" | tail -n 3 | tr '\n' ' ')"
    exit 0
    ;;
esac
