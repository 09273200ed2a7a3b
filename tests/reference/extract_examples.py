"""Regenerate ``examples.json`` from the API reference.

    python tests/reference/extract_examples.py ../shared/reference/cloudflare-accounts-api.md

Each entry: the call (``accounts.members.list``), its HTTP method and path
template, the reference's Python example and its response example.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

SIGNATURE = re.compile(r"^`(accounts\.[\w.]+)\(.*\*\*(get|post|put|patch|delete)\*\* `([^`]+)`")
FENCE = re.compile(r"```(python|json)\n(.*?)```", re.DOTALL)


def extract(text: str) -> list[dict[str, object]]:
    """Every operation of the reference, in order."""
    entries = []
    for section in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        match = next(filter(None, map(SIGNATURE.match, section.splitlines())), None)
        if match is None:
            continue
        blocks = dict(FENCE.findall(section))
        entries.append(
            {
                "call": match.group(1),
                "method": match.group(2).upper(),
                "path": match.group(3),
                "example": blocks["python"],
                "response": json.loads(blocks["json"]),
            }
        )
    return entries


if __name__ == "__main__":
    entries = extract(Path(sys.argv[1]).read_text())
    out = Path(__file__).with_name("examples.json")
    out.write_text(json.dumps(entries, indent=1) + "\n")
    print(f"{len(entries)} operations written to {out}")
