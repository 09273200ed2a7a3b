"""Every code example in ``docs/`` runs, against a fresh sandbox per page.

- ```` ```python ```` blocks of a page run in order as one script, in a
  Python of its own with warnings as errors: ``CLOUDFLARE_BASE_URL`` and
  ``CLOUDFLARE_API_TOKEN`` point at the sandbox and ``CLOUDFLARE_ACCOUNT_ID``
  names one of its accounts;
- ```` ```python title="test_….py" ```` blocks are test files, run by pytest;
- ```` ```console ```` blocks are commands (``$ …``) whose output must begin
  with the lines shown (``…`` ends a shortened output).

``sh`` and ``text`` blocks (installation, sample logs) are not run.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

import cfaccounts
from cfaccounts.testing import Sandbox

DOCS = Path(__file__).parent.parent / "docs"
_FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
_TITLE = re.compile(r'title="([^"]+)"')


@attrs.frozen
class Block:
    page: str
    language: str
    title: str | None
    code: str
    line: int


def blocks(page: Path) -> list[Block]:
    text = page.read_text()
    found = []
    for match in _FENCE.finditer(text):
        title = _TITLE.search(match.group(2))
        found.append(
            Block(
                page.relative_to(DOCS).as_posix(),
                match.group(1),
                title.group(1) if title else None,
                match.group(3),
                text.count("\n", 0, match.start()) + 1,
            )
        )
    return found


PAGES = sorted(DOCS.rglob("*.md"))
RUNNABLE = {
    page.relative_to(DOCS).as_posix(): [
        b for b in blocks(page) if b.language in ("python", "console")
    ]
    for page in PAGES
}


@pytest.fixture
def docs_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Sandbox]:
    """A fresh sandbox, and the environment the examples read."""
    # This seed's first account has pending invitations, so its audit log has entries.
    with Sandbox(
        seed="docs-2", accounts=3, members_per_account=20, tokens_per_account=4
    ) as sandbox:
        for name, value in sandbox.env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", sandbox.account_ids[0])
        monkeypatch.chdir(tmp_path)
        yield sandbox


def run_script(found: list[Block]) -> str:
    """The page's Python blocks, as one script; returns what it printed."""
    script = "\n\n".join(f"# {block.page}:{block.line}\n{block.code}" for block in found)
    Path("example.py").write_text(script)
    # Not as __main__: the examples' `if __name__ == "__main__":` would serve forever.
    run = "import runpy; runpy.run_path('example.py', run_name='docs_example')"
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", run], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def run_test_file(block: Block) -> None:
    assert block.title is not None
    Path(block.title).write_text(block.code)
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"),
            *("-o", "asyncio_default_fixture_loop_scope=function", block.title),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def run_console(block: Block) -> None:
    commands = re.split(r"^\$ ", block.code, flags=re.MULTILINE)[1:]
    for command in commands:
        line, *expected = command.rstrip("\n").split("\n")
        argv = shlex.split(line)
        if argv[0] == "cfaccounts":
            argv = [sys.executable, "-m", "cfaccounts", *argv[1:]]
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        assert result.returncode in (0, 1), result.stderr
        shown = expected[: expected.index("…")] if "…" in expected else expected
        actual = (result.stderr + result.stdout).splitlines()
        assert actual[: len(shown)] == shown
        if "…" not in expected:
            assert len(actual) == len(shown)


@pytest.mark.usefixtures("docs_environment")
@pytest.mark.parametrize("page", [page for page, found in RUNNABLE.items() if found])
def test_every_example_of_the_page_runs(page: str) -> None:
    found = RUNNABLE[page]
    scripts = [b for b in found if b.language == "python" and b.title is None]
    if scripts:
        assert run_script(scripts).strip(), "the examples print what they show"
    for block in found:
        if block.language == "console":
            run_console(block)
        elif block.title is not None:
            run_test_file(block)


def test_the_pages_have_examples_and_the_reference_is_complete() -> None:
    runnable = sum(len(found) for found in RUNNABLE.values())
    assert runnable >= 25
    reference = "\n".join(page.read_text() for page in (DOCS / "reference").glob("*.md"))
    for module in (
        "cfaccounts.models",
        "cfaccounts.params",
        "cfaccounts.audit",
        "cfaccounts.testing",
    ):
        assert f"::: {module}\n" in reference
    for name in cfaccounts.__all__:
        if not name.startswith("_"):
            assert f"::: cfaccounts.{name}\n" in reference, name
