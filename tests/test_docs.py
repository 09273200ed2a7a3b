"""Every code example in ``docs/`` and the README runs, against a fresh sandbox per page.

- ```` ```python ```` blocks of a page run in order as one script, in a
  Python of its own with warnings as errors: ``CLOUDFLARE_BASE_URL`` and
  ``CLOUDFLARE_API_TOKEN`` point at the sandbox and ``CLOUDFLARE_ACCOUNT_ID``
  names one of its accounts;
- ```` ```python title="test_….py" ```` blocks are test files, run by pytest;
- ```` ```console ```` blocks are commands (``$ …``) whose output must begin
  with the lines shown (``…`` ends a shortened output);
- every ```` ```python ```` block passes ``mypy --strict``, as a user's
  project would check it once copied (the script blocks of a page together,
  each test file on its own);
- the code lines of python and shell blocks fit the site's code column.

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
import mypy.api
import pytest

import cfaccounts
from cfaccounts.testing import Sandbox

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
_FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
_TITLE = re.compile(r'title="([^"]+)"')


#: The widest code line the site shows without scrolling (mkdocs-material's column).
CODE_COLUMN = 88


@attrs.frozen
class Block:
    page: str
    language: str
    title: str | None
    code: str
    #: The line of the opening fence; the code starts on the next one.
    line: int

    @property
    def last_line(self) -> int:
        return self.line + self.code.count("\n")


def page_name(page: Path) -> str:
    return page.relative_to(DOCS).as_posix() if page.is_relative_to(DOCS) else page.name


def blocks(page: Path) -> list[Block]:
    text = page.read_text()
    found = []
    for match in _FENCE.finditer(text):
        title = _TITLE.search(match.group(2))
        found.append(
            Block(
                page_name(page),
                match.group(1),
                title.group(1) if title else None,
                match.group(3),
                text.count("\n", 0, match.start()) + 1,
            )
        )
    return found


PAGES = [*sorted(DOCS.rglob("*.md")), README]
BLOCKS = {page_name(page): blocks(page) for page in PAGES}
RUNNABLE = {
    page: [b for b in found if b.language in ("python", "console")]
    for page, found in BLOCKS.items()
}


def scripts(page: str) -> list[Block]:
    """The page's Python blocks that are not test files: one script, in order."""
    return [b for b in RUNNABLE[page] if b.language == "python" and b.title is None]


def module_name(page: str) -> str:
    """The name of the page's script as a module: ``async.md`` is ``docs_async``."""
    return "docs_" + re.sub(r"\W", "_", page.removesuffix(".md"))


def laid_out(found: list[Block]) -> str:
    """The blocks' code, each on the lines it has in its page (the rest blank).

    Tracebacks and mypy's messages then give the page's line numbers.
    """
    lines: list[str] = []
    for block in found:
        lines += [""] * (block.line - len(lines))
        lines += block.code.splitlines()
    return "\n".join(lines) + "\n"


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


def run_script(page: str) -> str:
    """The page's Python blocks, as one script; returns what it printed."""
    script = Path(f"{module_name(page)}.py")
    script.write_text(laid_out(scripts(page)))
    # Not as __main__: the examples' `if __name__ == "__main__":` would serve forever.
    run = f"import runpy; runpy.run_path({str(script)!r}, run_name='docs_example')"
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
    if scripts(page):
        assert run_script(page).strip(), "the examples print what they show"
    for block in RUNNABLE[page]:
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


#: ``pagination.md:40: error: Name "main" already defined on line 14  [no-redef]``
_REDEFINED = re.compile(r"^(.+?):(\d+): error: .* on line (\d+)  \[no-redef\]$")


def _in_one_block(page: str, *lines: int) -> bool:
    return any(all(b.line < line <= b.last_line for line in lines) for b in scripts(page))


def mypy_strict_errors(tmp_path: Path) -> list[str]:
    """One mypy run over every page; its errors, as ``page.md:line: error: …``."""
    pages: dict[str, str] = {}  # module file -> its page
    for page in BLOCKS:
        if scripts(page):
            pages[f"{module_name(page)}.py"] = page
            (tmp_path / f"{module_name(page)}.py").write_text(laid_out(scripts(page)))
        for block in RUNNABLE[page]:
            if block.language == "python" and block.title is not None:
                file = f"{module_name(page)}_{block.title}"
                pages[file] = page
                (tmp_path / file).write_text(laid_out([block]))
    # Strict mode alone, as a user's project has it: no plugin, no override.
    (tmp_path / "mypy.ini").write_text("[mypy]\nstrict = True\n")
    stdout, stderr, _ = mypy.api.run(
        [
            *("--config-file", str(tmp_path / "mypy.ini")),
            *("--cache-dir", str(tmp_path / ".mypy_cache")),
            *("--no-error-summary", "--show-error-codes", "--no-pretty"),
            *(str(tmp_path / file) for file in pages),
        ]
    )
    assert not stderr, stderr
    errors = []
    for line in stdout.splitlines():
        file, _, rest = line.removeprefix(f"{tmp_path}/").partition(":")
        message = f"{pages.get(file, file)}:{rest}"
        redefined = _REDEFINED.match(message)
        # A later block may define `main` again: the blocks are separate examples.
        if redefined and not _in_one_block(redefined[1], int(redefined[2]), int(redefined[3])):
            continue
        errors.append(message)
    return errors


def test_every_python_example_passes_mypy_strict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each example type-checks as a user's ``mypy --strict`` checks it once copied.

    A page's script blocks are checked together, at their lines in the page
    (the later ones use what the earlier ones define); each test file on its own.
    """
    # Away from the checkout, so that mypy finds cfaccounts installed, as a user's does.
    monkeypatch.chdir(tmp_path)
    errors = mypy_strict_errors(tmp_path)
    assert not errors, "\n".join(errors)


#: The blocks whose lines are code a reader copies.
_CODE_LANGUAGES = ("python", "sh", "bash", "shell", "console")


def is_code(block: Block, line: str) -> bool:
    """In a console block only the commands are: the output is what the test compares."""
    return block.language != "console" or line.startswith("$ ")


def test_code_lines_fit_the_column() -> None:
    """No python or shell line makes the site's reader scroll sideways."""
    too_wide = [
        f"{block.page}:{block.line + number}: {len(line)} characters"
        for found in BLOCKS.values()
        for block in found
        if block.language in _CODE_LANGUAGES
        for number, line in enumerate(block.code.splitlines(), 1)
        if is_code(block, line) and len(line) > CODE_COLUMN
    ]
    assert not too_wide, "\n".join(too_wide)
