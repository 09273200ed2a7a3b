"""After ``mkdocs build``: every public name has its entry in the API reference.

``python tests/docs_reference.py site`` (run by ``nox -s docs``) reads the
built pages and fails, naming them, if any name in the ``__all__`` of the
public modules has no anchor there (mkdocstrings leaves out names without a
docstring, so this catches an undocumented one).
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

PAGES = {
    "cfaccounts": "client",
    "cfaccounts.models": "models",
    "cfaccounts.params": "params",
    "cfaccounts.audit": "audit",
    "cfaccounts.testing": "testing",
}


def missing(site: Path) -> list[str]:
    absent = []
    for module_name, page in PAGES.items():
        html = (site / "reference" / page / "index.html").read_text()
        anchors = {anchor.rsplit(".", 1)[-1] for anchor in re.findall(r'id="([\w.]+)"', html)}
        module = importlib.import_module(module_name)
        absent += [
            f"{module_name}.{name}"
            for name in module.__all__
            if not name.startswith("_") and name not in anchors
        ]
    return absent


if __name__ == "__main__":
    names = missing(Path(sys.argv[1]))
    if names:
        sys.exit("not in the API reference: " + ", ".join(names))
    print(f"API reference: every public name of {len(PAGES)} modules is documented")
