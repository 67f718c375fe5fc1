"""Keep the JSON schemas' enums in step with the stack registry (chipdoctor/stacks/).

    python scripts/schemas.py write   # rewrite the enums in chipdoctor/schemas/*.schema.json
    python scripts/schemas.py check   # exit 1, naming the file, when an enum has drifted

`--schemas DIR` works on another copy of the schema files (the drift test uses it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from chipdoctor.components import ALL_COMPONENTS, HOST_COMPONENTS, TORCH_COMPONENTS
from chipdoctor.stacks import STACKS

SCHEMAS = Path(__file__).resolve().parent.parent / "chipdoctor" / "schemas"


def _component_ids() -> list[str]:
    stack_ids = [c for stack in STACKS.values() for c in stack.components]
    ids = [*HOST_COMPONENTS, *TORCH_COMPONENTS, *stack_ids]
    assert set(ids) == ALL_COMPONENTS and len(ids) == len(set(ids)), "a component id twice"
    return ids


def derived(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with every registry-derived enum set from the registry."""
    out = json.loads(json.dumps(schema))
    out["$defs"]["component_id"]["enum"] = _component_ids()
    stacks = list(STACKS)
    if name == "report":
        out["properties"]["stacks"]["items"]["enum"] = stacks
        out["properties"]["devices"]["items"]["properties"]["stack"]["enum"] = stacks
    elif name == "plan":
        out["properties"]["stack"]["enum"] = stacks
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("write", "check"))
    parser.add_argument("--schemas", type=Path, default=SCHEMAS)
    args = parser.parse_args(argv)
    status = 0
    for name in ("matrix", "plan", "report"):
        path = args.schemas / f"{name}.schema.json"
        schema = json.loads(path.read_text(encoding="utf-8"))
        want = derived(name, schema)
        if args.command == "write":
            path.write_text(json.dumps(want, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        elif want != schema:
            print(f"{path}: its enums differ from chipdoctor/stacks/: run scripts/schemas.py write")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
