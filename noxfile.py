"""Project sessions: ``nox -s tests lint typecheck docs``, ``nox -s bench``.

Install nox first: ``python -m pip install nox``.

``tests`` runs on the interpreter nox itself runs on, so it never skips:
where it cannot run the suite, it fails. ``tests_matrix`` runs it on every
supported Python that is installed, and skips the others.
"""

from __future__ import annotations

import shutil

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "docs"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"
#: The Pythons pyproject.toml supports (and lists as classifiers).
SUPPORTED_PYTHONS = ["3.11", "3.12", "3.13"]
SOURCES = ["cfaccounts", "tests", "benchmarks", "noxfile.py"]
# The oldest dependency versions pyproject.toml allows, tested so the bounds stay true.
LOWEST = ["aiohttp==3.11.0", "attrs==23.1.0", "cattrs==24.1.0", "yarl==1.17.0"]


def _run_suite(session: nox.Session) -> None:
    session.install("-e", ".[test]", "coverage>=7.10.3")
    # coverage starts before pytest, so the pytest11 plugin's imports count too.
    session.run("coverage", "run", "-m", "pytest", *session.posargs)
    session.run("coverage", "combine")  # with the data of the subprocesses the tests ran
    session.run("coverage", "report")


@nox.session  # no python=: the interpreter running nox, which is always there
def tests(session: nox.Session) -> None:
    """The whole test suite, warnings as errors; coverage of cfaccounts/ at least 90 %."""
    _run_suite(session)


@nox.session(python=SUPPORTED_PYTHONS)
def tests_matrix(session: nox.Session) -> None:
    """The suite on each supported Python that is installed (the others are skipped)."""
    _run_suite(session)


@nox.session
def build(session: nox.Session) -> None:
    """The wheel and the sdist, into dist/, checked by ``twine check --strict``."""
    session.install("build>=1.2", "twine>=6.1")
    shutil.rmtree("dist", ignore_errors=True)  # twine checks this build's files only
    session.run("python", "-m", "build", "--outdir", "dist")
    session.run("twine", "check", "--strict", "dist/*")


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
def docs(session: nox.Session) -> None:
    """The documentation site, warnings as errors, and every public name in its reference."""
    session.install("-e", ".", "mkdocs>=1.6", "mkdocs-material>=9.5", "mkdocstrings-python>=1.10")
    session.run("mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})
    session.run("python", "tests/docs_reference.py", "site")


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
