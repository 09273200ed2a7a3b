"""Fuzzed response bodies for every endpoint: a model, or a typed cfaccounts error.

Hypothesis generates bodies for each endpoint's model: envelopes whose
``result`` has the model's fields with values of any JSON type, keys left
out, unknown keys added, huge numbers, deep nesting; and bodies that are not
envelopes at all (random bytes, nesting past the decoder's recursion limit).
Each goes through the same two steps as a real response (envelope, then
model), as one object and as a page of a listing. Anything but a result or a
:class:`~cfaccounts.CloudflareError` fails: a bare ``KeyError``,
``TypeError``, ``AttributeError`` or ``RecursionError`` would reach the user.
"""

from __future__ import annotations

import json
import typing
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cfaccounts import CloudflareError
from cfaccounts._converter import wire_name
from cfaccounts._endpoint import Endpoint
from cfaccounts._pagination import _page_contents
from cfaccounts._response import RawResponse, decode_response, structure_result
from cfaccounts._secrets import Redactor
from cfaccounts.resources import accounts, logs, members, roles, subscriptions, tokens

ENDPOINTS = {
    f"{module.__name__.rsplit('.', 1)[-1]}.{name.strip('_').lower()}": endpoint
    for module in (accounts, logs, members, roles, subscriptions, tokens)
    for name, endpoint in vars(module).items()
    if isinstance(endpoint, Endpoint)
}

HUGE = st.sampled_from([10**100, -(10**100), 1e308, -1e308, 2**63, 5e-324])
SCALARS = st.none() | st.booleans() | st.integers() | HUGE | st.floats(allow_nan=False) | st.text()
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def _models_in(annotation: Any) -> list[type]:
    if attrs.has(annotation):
        return [annotation]
    return [model for arg in typing.get_args(annotation) for model in _models_in(arg)]


def shaped_like(model: type, depth: int = 0) -> st.SearchStrategy[Any]:
    """Dicts with ``model``'s wire keys (any subset), each holding anything, or a nested shape."""
    hints = typing.get_type_hints(model)
    values = {}
    for field in attrs.fields(model):
        if field.name == "extra":
            continue
        nested = [shaped_like(inner, depth + 1) for inner in _models_in(hints[field.name])]
        options = JSON if depth > 3 or not nested else st.one_of(*nested, st.lists(nested[0]), JSON)
        values[wire_name(field.name)] = options
    known = st.fixed_dictionaries({}, optional=values)
    unknown = st.dictionaries(st.text(), JSON, max_size=2)
    return st.builds(lambda a, b: {**b, **a}, known, unknown)


def envelopes(returns: Any) -> st.SearchStrategy[bytes]:
    # A token secret (TokenValue) is a string: JSON covers it.
    shapes = [shaped_like(model) for model in _models_in(returns)]
    result = st.one_of(*shapes, *(st.lists(shape, max_size=3) for shape in shapes), JSON)
    body = st.fixed_dictionaries(
        {"result": result},
        optional={
            "success": st.one_of(st.just(True), JSON),
            "errors": st.one_of(st.just([]), JSON),
            "messages": JSON,
            "result_info": st.one_of(
                JSON,
                st.fixed_dictionaries(
                    {},
                    optional=dict.fromkeys(
                        ["page", "per_page", "count", "total_count", "total_pages", "cursor"], JSON
                    ),
                ),
            ),
        },
    )
    return body.map(lambda value: json.dumps(value).encode())


NOT_ENVELOPES = st.one_of(
    st.binary(max_size=64),
    st.integers(1, 200_000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.integers(1, 200_000).map(lambda depth: b'{"result":' + b"[" * depth + b"]" * depth + b"}"),
)


def decode_and_structure(endpoint: Endpoint[Any], body: bytes, status: int) -> None:
    """What the core does with a response, as one object and as a page."""
    response = RawResponse(status, "", {"cf-ray": "fuzz"}, body)
    for build in (
        lambda env: endpoint.structure(env.result),
        lambda env: _page_contents(endpoint, env),
    ):
        try:
            envelope = decode_response(response, method="GET", url="fuzz", redact=Redactor(()))
            structure_result(envelope, build, method="GET", url="fuzz")
        except CloudflareError:
            pass


FUZZ = settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


@pytest.mark.parametrize("name", list(ENDPOINTS))
@FUZZ
@given(data=st.data())
def test_every_fuzzed_envelope_gives_a_model_or_a_typed_error(
    name: str, data: st.DataObject
) -> None:
    endpoint = ENDPOINTS[name]
    body = data.draw(envelopes(endpoint.returns))
    status = data.draw(st.sampled_from([200, 200, 200, 400, 404, 429, 500, 503]))
    decode_and_structure(endpoint, body, status)


@FUZZ
@given(body=NOT_ENVELOPES, status=st.sampled_from([200, 403, 502]))
def test_bodies_that_are_not_envelopes_give_typed_errors(body: bytes, status: int) -> None:
    for endpoint in ENDPOINTS.values():
        decode_and_structure(endpoint, body, status)


def test_every_endpoint_is_fuzzed() -> None:
    assert len(ENDPOINTS) == 26
    without_model = [name for name, e in ENDPOINTS.items() if not _models_in(e.returns)]
    assert without_model == ["tokens.roll"]  # its result is the secret, a string
