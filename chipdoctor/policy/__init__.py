"""Site policy for `check`: required stacks, version constraints, ignores (docs/policy.md).

`load` reads and validates `.chipdoctor.yaml` / `--policy FILE` / `--require`; `apply` turns the
policy into findings after the rules have run.
"""

#: Read from the working directory when no `--policy` is given.
DEFAULT_FILE = ".chipdoctor.yaml"
