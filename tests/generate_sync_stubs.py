"""Generate the stubs of the namespaces that exist only at run time.

- ``cfaccounts/_sync_api.pyi``: the sync namespaces and their
  ``with_raw_response`` views (results are :class:`APIResponse`);
- ``cfaccounts/_raw_api.pyi``: the ``with_raw_response`` views of the async
  namespaces (results are :class:`AsyncAPIResponse`).

The sync client and the raw views are generic adapters at run time; these
stubs tell type checkers what they return. They are derived from the async
resources, so a call added there needs only a rerun:

    python tests/generate_sync_stubs.py

``tests/test_sync.py`` fails when a committed stub is out of date.
"""

from __future__ import annotations

import importlib
import inspect
import keyword
import pkgutil
import re
from pathlib import Path
from typing import Any

import cfaccounts.models
from cfaccounts.resources._base import Resource
from cfaccounts.resources.accounts import AccountsResource

PACKAGE = Path(cfaccounts.models.__file__).parent.parent
STUB = PACKAGE / "_sync_api.pyi"
RAW_STUB = PACKAGE / "_raw_api.pyi"
PAGINATOR = re.compile(r"^AsyncPaginator\[(.+), (Async\w+)\[\1\]\]$")
IDENTIFIER = re.compile(r"\b[A-Za-z_]\w*\b")
STRING = re.compile(r"\"[^\"]*\"|'[^']*'")
HOMES = [
    "collections.abc",
    "typing",
    "datetime",
    "cfaccounts._request",
    "cfaccounts._pagination",
    *(f"cfaccounts.models.{m.name}" for m in pkgutil.iter_modules(cfaccounts.models.__path__)),
    "cfaccounts.params",
]
BUILTINS = {"str", "int", "float", "bool", "bytes", "list", "dict", "None", "object"}


def _home(name: str) -> str:
    for module_name in HOMES:
        module = importlib.import_module(module_name)
        value = vars(module).get(name)
        if value is None:
            continue
        defined_in = getattr(value, "__module__", module_name)
        if defined_in == module_name or module_name in {"typing", "collections.abc"}:
            return module_name
    for module_name in HOMES:
        if name in vars(importlib.import_module(module_name)):
            return module_name
    raise LookupError(f"no public home for {name!r}")


def _parameter(param: inspect.Parameter) -> str:
    text = param.name
    if param.annotation is not inspect.Parameter.empty:
        text += f": {param.annotation}"
    if param.default is not inspect.Parameter.empty:
        text += f" = {param.default!r}"
    if param.kind is inspect.Parameter.VAR_KEYWORD:
        return "**" + text
    return "*" + text if param.kind is inspect.Parameter.VAR_POSITIONAL else text


class Flavour:
    """One kind of generated namespace: how it is named and what its calls return."""

    def __init__(self, prefix: str, suffix: str, *, is_async: bool, response: str | None) -> None:
        self.prefix, self.suffix, self.is_async, self.response = prefix, suffix, is_async, response

    def name(self, cls: type) -> str:
        return f"{self.prefix}{cls.__name__}{self.suffix}"

    def returns(self, annotation: str) -> str:
        """What a call annotated ``annotation`` in the async namespace returns here."""
        paged = PAGINATOR.match(annotation)
        if paged:
            item, page_class = paged.groups()
            annotation = f"{page_class}[{item}]" if self.is_async else f"SyncPage[{item}]"
        return annotation if self.response is None else f"{self.response}[{annotation}]"


SYNC = Flavour("Sync", "", is_async=False, response=None)
SYNC_RAW = Flavour("Sync", "WithRawResponse", is_async=False, response="APIResponse")
ASYNC_RAW = Flavour("Async", "WithRawResponse", is_async=True, response="AsyncAPIResponse")


def _method(name: str, function: Any, names: set[str], flavour: Flavour) -> list[str]:
    signature = inspect.signature(function)
    params: list[str] = []
    keyword_only_started = False
    for param in signature.parameters.values():
        if param.kind is inspect.Parameter.KEYWORD_ONLY and not keyword_only_started:
            params.append("*")
            keyword_only_started = True
        params.append(_parameter(param))
        if param.annotation is not inspect.Parameter.empty:
            names.update(IDENTIFIER.findall(STRING.sub("", str(param.annotation))))
    returns = flavour.returns(str(signature.return_annotation))
    names.update(IDENTIFIER.findall(STRING.sub("", returns)))
    doc = inspect.getdoc(function) or ""
    first_line = doc.splitlines()[0] if doc else ""
    keyword = "async def" if flavour.is_async else "def"
    return [
        f"    {keyword} {name}({', '.join(params)}) -> {returns}:",
        f'        """{first_line}"""',
        "",
    ]


def _classes(
    resource: Resource, lines: list[str], names: set[str], flavour: Flavour, raw: Flavour | None
) -> str:
    """The stub class of ``resource`` in ``flavour`` (and of the namespaces below it)."""
    cls = type(resource)
    stub_name = flavour.name(cls)
    body: list[str] = []
    for attribute in sorted(getattr(cls, "__slots__", ())):
        child = getattr(resource, attribute, None)
        if isinstance(child, Resource):
            body.append(f"    {attribute}: {_classes(child, lines, names, flavour, raw)}")
    if raw is not None:
        body.append(f"    with_raw_response: {raw.name(cls)}")
    for name, function in vars(cls).items():
        if not name.startswith("_") and inspect.isfunction(function):
            body.extend(_method(name, function, names, flavour))
    doc = f"``{cls.__name__}``" + (" answering with responses" if flavour.response else "")
    kind = "Blocking" if not flavour.is_async else "The view of"
    lines.extend([f"class {stub_name}:", f'    """{kind} {doc}."""', *body, ""])
    return stub_name


def _header(names: set[str], own: set[str], extra_imports: list[str]) -> list[str]:
    imports: dict[str, set[str]] = {}
    for name in sorted(names - BUILTINS - set(keyword.kwlist) - own - {"self"}):
        imports.setdefault(_home(name), set()).add(name)
    return [
        '"""Types of the run-time namespaces. Generated by tests/generate_sync_stubs.py."""',
        "",
        *(f"from {m} import {', '.join(sorted(n))}" for m, n in sorted(imports.items())),
        *extra_imports,
        "",
    ]


def render() -> str:
    """The text of ``_sync_api.pyi``."""
    lines: list[str] = []
    names: set[str] = set()
    root = AccountsResource(None)  # type: ignore[arg-type]
    _classes(root, lines, names, SYNC_RAW, SYNC_RAW)
    _classes(root, lines, names, SYNC, SYNC_RAW)
    extra = [
        "from cfaccounts._api_response import APIResponse",
        "from cfaccounts._sync import SyncPage",
    ]
    return "\n".join(_header(names, {"SyncPage", "APIResponse"}, extra) + lines).rstrip() + "\n"


def render_raw() -> str:
    """The text of ``_raw_api.pyi``."""
    lines: list[str] = []
    names: set[str] = set()
    _classes(AccountsResource(None), lines, names, ASYNC_RAW, ASYNC_RAW)  # type: ignore[arg-type]
    extra = ["from cfaccounts._api_response import AsyncAPIResponse"]
    return "\n".join(_header(names, {"AsyncAPIResponse"}, extra) + lines).rstrip() + "\n"


if __name__ == "__main__":
    for path, text in ((STUB, render()), (RAW_STUB, render_raw())):
        path.write_text(text)
        print(f"wrote {path}")
