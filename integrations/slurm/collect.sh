#!/bin/bash
# Collect one chipdoctor report per node with srun, for `chipdoctor fleet compare`.
#
#   integrations/slurm/collect.sh DIR [srun options...]
#   integrations/slurm/collect.sh reports/ --partition=npu --nodes=64
#   chipdoctor fleet compare reports/
#
# One task per node runs `chipdoctor check --format json`; srun itself writes each node's
# stdout to DIR/<node>.json (`--output` with `%N`, the node's short name) and its stderr to
# DIR/<node>.err, so DIR needs to be writable only where this script runs, not shared. DIR
# must hold no reports yet (exit 2): a stale one would stand for a node that did not answer,
# and its name no `%` or `\` (exit 2): srun would expand them in the --output pattern.
# A node whose stack is incompatible (chipdoctor exit 1) still writes its report; the script
# exits 0 when every node wrote one, else 1, naming the nodes that did not (or saying that no
# node ran the check at all: srun could not allocate or start).
# Settings (environment): CHIPDOCTOR (the command on the nodes, default chipdoctor),
# CHIPDOCTOR_ARGS (more `check` arguments, split on spaces), CHIPDOCTOR_TIMEOUT (seconds a node's
# check may take, default 60).
set -u

if [ $# -lt 1 ]; then
  echo "usage: $0 DIR [srun options...]" >&2
  exit 2
fi
dir="$1"
shift
case "$dir" in
  *%* | *\\*) # srun would read them as its filename pattern (%j, %N, \\), not as DIR
    echo "collect: $dir: a directory name with % or \\ is not usable (srun expands them)" >&2
    exit 2
    ;;
esac
mkdir -p "$dir" || exit 2
for old in "$dir"/*.json "$dir"/*.err; do
  # a node that does not answer now would be compared by its report of an earlier run
  if [ -e "$old" ]; then
    echo "collect: $dir already holds reports (${old##*/}): collect into a new or empty directory" >&2
    exit 2
  fi
done

# shellcheck disable=SC2086  # CHIPDOCTOR_ARGS is split on spaces on purpose
srun --ntasks-per-node=1 "$@" --output="$dir/%N.json" --error="$dir/%N.err" \
  timeout --kill-after=5 "${CHIPDOCTOR_TIMEOUT:-60}" "${CHIPDOCTOR:-chipdoctor}" check --format json ${CHIPDOCTOR_ARGS:-}
status=$?

missing=""
ran=""
for err in "$dir"/*.err; do
  [ -e "$err" ] || continue
  ran=yes
  report="${err%.err}.json"
  if [ ! -s "$report" ]; then
    missing="$missing ${report##*/}"
  elif [ ! -s "$err" ]; then
    rm -f "$err"
  fi
done
if [ -z "$ran" ]; then # srun ran no task: no allocation, a bad option, srun not installed
  echo "collect: srun exited $status and no node ran the check" >&2
  exit 1
fi
if [ -n "$missing" ]; then
  echo "collect: no report from:$missing (see the .err files in $dir)" >&2
  exit 1
fi
if [ "$status" -gt 1 ]; then
  echo "collect: srun exited $status; the reports in $dir are from the nodes that answered" >&2
fi
exit 0
