"""The wheel and the sdist, built offline from this checkout, hold what a user needs.

The wheel: the package with its ``py.typed`` marker and the generated
``.pyi`` stubs (without them the sync client and ``with_raw_response`` are
untyped), the LICENSE, one classifier per supported Python, and no tests.
The sdist: the LICENSE too. ``.ci/run`` also builds both with
``python -m build`` and checks them with ``twine check --strict``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
SUPPORTED = ("3.11", "3.12", "3.13")


def _build(kind: str, into: Path) -> Path:
    # The PEP 517 backend itself: no isolated environment, so no network.
    script = f"import hatchling.build as b; print(b.build_{kind}({str(into)!r}))"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return into / result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    return zipfile.ZipFile(_build("wheel", tmp_path_factory.mktemp("wheel")))


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> tarfile.TarFile:
    return tarfile.open(_build("sdist", tmp_path_factory.mktemp("sdist")))


def test_the_wheel_has_the_typing_files_and_no_tests(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    stubs = {f"cfaccounts/{path.name}" for path in (ROOT / "cfaccounts").glob("*.pyi")}
    assert {"cfaccounts/_sync_api.pyi", "cfaccounts/_raw_api.pyi"} <= stubs
    assert {"cfaccounts/py.typed", *stubs} <= names
    assert not [name for name in names if re.match(r"(tests|benchmarks|docs)/", name)]
    assert not [name for name in names if "/test_" in name or "conftest" in name]
    # Every module of the package is in it.
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "cfaccounts").rglob("*.py")}
    assert sources <= names


def test_the_wheel_carries_the_license_and_the_metadata(wheel: zipfile.ZipFile) -> None:
    info = next(name for name in wheel.namelist() if name.endswith(".dist-info/METADATA"))
    metadata = Parser().parsestr(wheel.read(info).decode())
    assert metadata["License-Expression"] == "MIT"
    license_file = info.replace("METADATA", "licenses/LICENSE")
    assert wheel.read(license_file) == (ROOT / "LICENSE").read_bytes()
    assert b"MIT License" in wheel.read(license_file)
    classifiers = metadata.get_all("Classifier") or []
    assert [f"Programming Language :: Python :: {v}" in classifiers for v in SUPPORTED] == [
        True
    ] * len(SUPPORTED)
    assert metadata["Requires-Python"] == PROJECT["requires-python"] == f">={SUPPORTED[0]}"


def test_the_sdist_carries_the_license_and_the_stubs(sdist: tarfile.TarFile) -> None:
    top = f"{PROJECT['name']}-{PROJECT['version']}"
    names = set(sdist.getnames())
    assert {
        f"{top}/LICENSE",
        f"{top}/cfaccounts/py.typed",
        f"{top}/cfaccounts/_sync_api.pyi",
        f"{top}/cfaccounts/_raw_api.pyi",
    } <= names
