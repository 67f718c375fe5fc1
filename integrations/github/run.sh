#!/usr/bin/env bash
# The run step of the GitHub Action (action.yml): `chipdoctor check` with the action's inputs.
#
# Inputs come as environment variables (never pasted into this script):
#   CHIPDOCTOR_PYTHON  interpreter that has chipdoctor installed and is checked (python3)
#   CHIPDOCTOR_FORMAT  --format (github)
#   CHIPDOCTOR_POLICY  --policy FILE (empty: .chipdoctor.yaml here, if any)
#   CHIPDOCTOR_STRICT  true or false (false)
#   CHIPDOCTOR_ARGS    more arguments, split as a shell would (shlex), never evaluated
# Arguments given to this script are passed on too: `run.sh --snapshot DIR` checks a snapshot.
# The exit status is chipdoctor's: 0 ok, 1 incompatible, 2 bad input, 3 internal error.
set -euo pipefail

python="${CHIPDOCTOR_PYTHON:-python3}"
format="${CHIPDOCTOR_FORMAT:-github}"
args=(check --format "$format")

if [ -n "${CHIPDOCTOR_POLICY:-}" ]; then
  args+=(--policy "$CHIPDOCTOR_POLICY")
fi

case "${CHIPDOCTOR_STRICT:-false}" in
  true) args+=(--strict) ;;
  false | "") ;;
  *)
    echo "::error title=chipdoctor::the strict input must be true or false"
    exit 2
    ;;
esac

if [ -n "${CHIPDOCTOR_ARGS:-}" ]; then
  split="$(mktemp)"
  trap 'rm -f "$split"' EXIT
  # shlex, not eval: quotes group words, and nothing in the input is ever run.
  if ! "$python" -c '
import os, shlex, sys
try:
    words = shlex.split(os.environ["CHIPDOCTOR_ARGS"])
except ValueError as exc:
    sys.exit(f"chipdoctor: error: the args input cannot be split: {exc}")
sys.stdout.write("".join(word + "\0" for word in words))
' >"$split"; then
    echo "::error title=chipdoctor::the args input cannot be split (unbalanced quotes?)"
    exit 2
  fi
  while IFS= read -r -d '' word; do
    args+=("$word")
  done <"$split"
fi

status=0
"$python" -m chipdoctor "${args[@]}" "$@" || status=$?
if [ "$status" -ge 2 ] && [ "$format" = github ]; then
  # Bad input (2) or a bug (3) prints one line on stderr; make it visible on the run's page.
  echo "::error title=chipdoctor::chipdoctor exited with status $status without a verdict; its error is in the log above"
fi
exit "$status"
