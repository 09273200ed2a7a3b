"""Project sessions: ``nox -s tests lint typecheck``, ``nox -s bench``.

Install nox first: ``python -m pip install nox``.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"
# The oldest dependency versions pyproject.toml allows, tested so the bounds stay true.
SOURCES = ["cfaccounts", "tests", "benchmarks", "noxfile.py"]
LOWEST = ["aiohttp==3.11.0", "attrs==23.1.0", "cattrs==24.1.0", "yarl==1.12.0"]


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole test suite, warnings as errors."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON)
def tests_lowest(session: nox.Session) -> None:
    """The suite on the lowest supported dependency versions."""
    session.install("-e", ".[test]", *LOWEST)
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """benchmarks/compare.py: CPU per call against raw aiohttp and the official SDK."""
    session.install(".[bench]")
    session.run("python", "benchmarks/compare.py", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", *SOURCES)
    session.run("ruff", "format", "--check", *SOURCES)


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package, the tests and the benchmarks."""
    session.install("-e", ".[test,dev]")
    session.run("mypy")
