"""Property tests of the sandbox, with hypothesis: whatever a client sends,

- a request the sandbox refuses leaves its store and audit log as they were;
- a body it accepts reads back through the SDK's listings and gets;
- every request gets a Cloudflare envelope (a 4xx unless it succeeded; no
  5xx without an injected fault), a ``cf-ray``, and the counters balance.

Each test runs one thread-mode sandbox through all its examples, so the
state they meet grows as the examples go. ``SANDBOX_EXAMPLES`` in the
environment sets how many (200 by default).
"""

from __future__ import annotations

import gzip
import json
import os
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cfaccounts import Cloudflare
from cfaccounts.testing import ROUTES, RateLimit, Sandbox

from .sandbox_probe import Answer, assert_envelope, send, snapshot

PROPERTIES = settings(
    max_examples=int(os.environ.get("SANDBOX_EXAMPLES", "200")),
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)

ZONE_READ = "c8fed203ed3043cba015a93ad1616f1f"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(
        seed="properties",
        accounts=2,
        members_per_account=3,
        tokens_per_account=3,
        rate_limit=RateLimit(10**6, per=300),
    ) as running:
        yield running


@pytest.fixture(scope="module")
def client(sandbox: Sandbox) -> Iterator[Cloudflare]:
    with sandbox.sync_client(max_retries=0, rate_limit=None) as sync:
        yield sync


# -- JSON, and bodies near the documented shapes ----------------------------------

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(
        [
            "",
            " ",
            "bogus",
            "allow",
            "active",
            "monthly",
            "pro",
            "*",
            "2030-01-01T00:00:00Z",
            "9999-12-31T23:59:59-01:00",
            "0001-01-01T00:00:00+01:00",
            "2024-02-30",
            ZONE_READ,
        ]
    )
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def _templates(sandbox: Sandbox) -> dict[str, tuple[str, Any]]:
    """A valid body for every write, and the path it goes to."""
    record = sandbox.store.accounts[sandbox.account_ids[0]]
    account = f"/accounts/{record.id}"
    role_id = next(iter(record.roles))
    member_id = next(iter(record.members))
    token_id = next(iter(record.tokens))
    subscription_id = next(iter(record.subscriptions))
    token_policy = {
        "effect": "allow",
        "permission_groups": [{"id": ZONE_READ, "meta": {"key": "k", "value": "v"}}],
        "resources": {"com.cloudflare.api.account.zone.*": "*", "nested": {"a": "b"}},
    }
    member_policy = {
        "access": "allow",
        "permission_groups": [{"id": ZONE_READ}],
        "resource_groups": [{"id": "rg"}],
    }
    rate_plan = {"id": "pro", "currency": "USD", "is_contract": False, "sets": ["a"]}
    token = {
        "name": "deploy",
        "policies": [token_policy],
        "condition": {"request_ip": {"in": ["192.0.2.0/24"], "not_in": []}},
        "expires_on": "2031-01-01T00:00:00Z",
        "not_before": "2020-01-01T00:00:00Z",
    }
    return {
        "POST /accounts": ("/accounts", {"name": "New", "type": "standard", "unit": {"id": "u"}}),
        "PUT /accounts/{account_id}": (
            account,
            {
                "id": record.id,
                "name": "Renamed",
                "type": "enterprise",
                "settings": {"enforce_twofactor": True, "abuse_contact_email": "a@b.co"},
                "managed_by": {"parent_org_id": "p", "parent_org_name": None},
            },
        ),
        "POST /accounts/{account_id}/members": (
            account + "/members",
            {"email": "x@example.com", "roles": [role_id], "policies": [member_policy]},
        ),
        "PUT /accounts/{account_id}/members/{member_id}": (
            f"{account}/members/{member_id}",
            {"roles": [{"id": role_id}], "policies": [member_policy]},
        ),
        "POST /accounts/{account_id}/subscriptions": (
            account + "/subscriptions",
            {"frequency": "monthly", "rate_plan": rate_plan},
        ),
        "PUT /accounts/{account_id}/subscriptions/{subscription_identifier}": (
            f"{account}/subscriptions/{subscription_id}",
            {"frequency": "yearly", "rate_plan": rate_plan},
        ),
        "POST /accounts/{account_id}/tokens": (account + "/tokens", token),
        "PUT /accounts/{account_id}/tokens/{token_id}": (
            f"{account}/tokens/{token_id}",
            {**token, "status": "active"},
        ),
        "PUT /accounts/{account_id}/tokens/{token_id}/value": (
            f"{account}/tokens/{token_id}/value",
            {},
        ),
    }


def _places(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into a JSON value, itself included."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _places(item, (*path, index))


def _mutated(data: st.DataObject, body: Any) -> Any:
    """``body`` with a few of its values replaced, removed or joined by unknown keys."""
    body = json.loads(json.dumps(body))
    for _ in range(data.draw(st.integers(0, 3), label="mutations")):
        place = data.draw(st.sampled_from(list(_places(body))), label="place")
        if not place:
            body = data.draw(JSON_VALUES, label="whole body")
            continue
        *parent_path, last = place
        parent = body
        for step in parent_path:
            parent = parent[step]
        action = data.draw(st.sampled_from(["replace", "remove", "add unknown"]), label="action")
        if action == "replace":
            parent[last] = data.draw(JSON_VALUES, label="value")
        elif action == "remove":
            del parent[last]
        elif isinstance(parent, dict):
            parent[data.draw(st.text(min_size=1, max_size=8), label="key")] = data.draw(JSON_VALUES)
    return body


def _read_back(client: Cloudflare, sandbox: Sandbox, route: str, answer: Answer) -> None:
    """Everything the accepted write touched, read through the SDK."""
    account_id = sandbox.account_ids[0]
    result = answer.json()["result"]
    if route == "POST /accounts":
        account_id = result["id"]
    if route.endswith("/value"):  # the result is the new secret; the token is the first
        result = {"id": next(iter(sandbox.store.accounts[account_id].tokens))}
    if "/members" in route:
        assert [member.id for member in client.accounts.members.list(account_id=account_id)]
        client.accounts.members.get(result["id"], account_id=account_id)
    elif "/subscriptions" in route:
        assert client.accounts.subscriptions.get(account_id=account_id).result
    elif "/tokens" in route:
        assert [token.id for token in client.accounts.tokens.list(account_id=account_id)]
        client.accounts.tokens.get(result["id"], account_id=account_id)
    else:
        assert [account.id for account in client.accounts.list()]
        client.accounts.get(account_id=account_id)
    now = datetime.now(UTC)
    entries = client.accounts.logs.audit.list(
        account_id=account_id, since=now - timedelta(days=1), before=now + timedelta(days=1)
    )
    assert entries.result


WRITES = [route.key for route in ROUTES if route.audit is not None and route.method != "DELETE"]


@PROPERTIES
@given(data=st.data())
def test_refused_writes_change_nothing_and_accepted_ones_read_back(
    sandbox: Sandbox, client: Cloudflare, data: st.DataObject
) -> None:
    templates = _templates(sandbox)
    assert set(templates) == set(WRITES)  # every write of the sandbox, and only those
    route = data.draw(st.sampled_from(WRITES), label="route")
    path, template = templates[route]
    body = _mutated(data, template)
    before = snapshot(sandbox)
    answer = send(
        sandbox,
        route.split()[0],
        path,
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    if answer.status == 200:
        _read_back(client, sandbox, route, answer)
    else:
        assert 400 <= answer.status < 500, answer
        assert_envelope(answer)
        assert snapshot(sandbox) == before
    assert sandbox.counters.in_flight == 0


# -- arbitrary requests -----------------------------------------------------------

_SEGMENT = st.text(max_size=12).map(lambda text: urllib.parse.quote(text, safe=""))
_HEADER_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=16,
)
_QUERY_NAMES = [
    "page",
    "per_page",
    "direction",
    "order",
    "status",
    "name",
    "limit",
    "cursor",
    "since",
    "before",
    "scope",
    "actor_email",
    "action_type.not",
]


def _paths(sandbox: Sandbox) -> st.SearchStrategy[str]:
    record = sandbox.store.accounts[sandbox.account_ids[0]]
    known = {
        "account_id": [record.id, sandbox.account_ids[-1]],
        "member_id": list(record.members)[:2],
        "role_id": list(record.roles)[:2],
        "token_id": list(record.tokens)[:2],
        "subscription_identifier": list(record.subscriptions)[:1],
    }

    @st.composite
    def filled(draw: st.DrawFn) -> str:
        route = draw(st.sampled_from(ROUTES))
        path = route.path
        for name, ids in known.items():
            if "{" + name + "}" in path:
                value = draw(st.sampled_from(ids) | _SEGMENT if ids else _SEGMENT)
                path = path.replace("{" + name + "}", value)
        return path + draw(st.sampled_from(["", "", "", "/", "/extra"]))

    random_path = st.lists(_SEGMENT, max_size=4).map(lambda parts: "/" + "/".join(parts))
    return filled() | random_path


def _queries() -> st.SearchStrategy[str]:
    value = st.sampled_from(["1", "0", "-1", "²", "9" * 40, "asc", "desc", "2024-01-01"]) | st.text(
        max_size=10
    )
    pairs = st.lists(
        st.tuples(st.sampled_from(_QUERY_NAMES) | st.text(max_size=5), value), max_size=4
    )
    return pairs.map(lambda items: "?" + urllib.parse.urlencode(items) if items else "")


def _headers(sandbox: Sandbox) -> st.SearchStrategy[dict[str, str]]:
    account_secret = sandbox.store.secret_of(
        next(iter(sandbox.store.accounts[sandbox.account_ids[0]].tokens))
    )
    authorization = (
        st.sampled_from(
            [
                f"Bearer {sandbox.api_token}",
                f"Bearer {sandbox.api_token}",
                f"Bearer {account_secret}",
                "Bearer ",
                "Basic abc",
                "Bearer wrong",
            ]
        )
        | _HEADER_TEXT
    )
    optional = st.fixed_dictionaries(
        {},
        optional={
            "Authorization": authorization,
            "X-Auth-Email": _HEADER_TEXT,
            "X-Auth-Key": _HEADER_TEXT,
            "Content-Type": st.sampled_from(
                ["application/json", "text/plain", "x/y; charset=bogus"]
            ),
            "Content-Encoding": st.sampled_from(["gzip", "deflate", "br", "identity", "bogus"]),
            "Expect": st.sampled_from(["100-continue", "nothing"]),
            "X-Anything": _HEADER_TEXT,
        },
    )
    return optional


_BODIES = (
    st.none()
    | st.binary(max_size=64)
    | JSON_VALUES.map(lambda value: json.dumps(value).encode())
    | st.sampled_from([b"[" * 5000, b'{"a": NaN}', b'{"a": 1e999}', b"\xff\xfe", b"{}"])
)


@PROPERTIES
@given(data=st.data())
def test_any_request_gets_an_envelope_and_the_counters_balance(
    sandbox: Sandbox, data: st.DataObject
) -> None:
    method = data.draw(
        st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "PURGE"]),
        label="method",
    )
    path = data.draw(_paths(sandbox), label="path") + data.draw(_queries(), label="query")
    headers = data.draw(_headers(sandbox), label="headers")
    body = data.draw(_BODIES, label="body")
    if body is not None and data.draw(st.booleans(), label="gzip it"):
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    received = sum(sandbox.counters.received.values())
    before = snapshot(sandbox)
    answer = send(sandbox, method, path, body=body, headers=headers, credentials=False)
    assert answer.status < 500, answer
    assert answer.headers.get("cf-ray", "").endswith("-SBX"), answer
    if method != "HEAD":
        envelope = answer.json()
        assert envelope["success"] is (answer.status == 200), answer
        if answer.status != 200:
            assert_envelope(answer)
    if answer.status != 200:
        assert snapshot(sandbox) == before
    assert sum(sandbox.counters.received.values()) == received + 1
    assert sandbox.counters.in_flight == 0
