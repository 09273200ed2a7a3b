"""The sandbox's quota as the API's: headers on every answer, fixed windows, the lockout."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from cfaccounts import BadRequestError, RateLimit
from cfaccounts.params import TokenPolicyParam
from cfaccounts.testing import Fault, Sandbox

POLICY: TokenPolicyParam = {
    "effect": "allow",
    "permission_groups": [{"id": "c8fed203ed3043cba015a93ad1616f1f"}],
    "resources": {"com.cloudflare.api.account.zone.*": "*"},
}


#: ``call``'s default credential: the sandbox's own token.
OWN = "sandbox's own token"


class Clock:
    """The quota's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr("cfaccounts.testing._quota._monotonic", fake)
    return fake


class Answer:
    """One raw answer: status, the headers that matter, the first error code."""

    def __init__(self, status: int, headers: Any, body: dict[str, Any]) -> None:
        self.status = status
        self.ratelimit = headers.get("Ratelimit")
        self.policy = headers.get("Ratelimit-Policy")
        self.retry_after = headers.get("Retry-After")
        self.code = body["errors"][0]["code"] if body.get("errors") else None


async def call(
    sandbox: Sandbox,
    method: str,
    path: str,
    *,
    token: str | None = OWN,
    headers: dict[str, str] | None = None,
    json: Any = None,
) -> Answer:
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {sandbox.api_token if token is OWN else token}"
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, sandbox.base_url + path, headers=sent, json=json) as response,
    ):
        return Answer(response.status, response.headers, await response.json())


@pytest.fixture
async def sandbox(request: pytest.FixtureRequest, clock: Clock) -> AsyncIterator[Sandbox]:
    marker = request.node.get_closest_marker("cloudflare_sandbox")
    options: dict[str, Any] = {"accounts": 2, "rate_limit": RateLimit(3, per=10)}
    options.update(marker.kwargs if marker else {})
    async with Sandbox(**options) as running:
        yield running


async def test_every_kind_of_answer_carries_the_callers_standing(sandbox: Sandbox) -> None:
    account_id = sandbox.account_ids[0]
    ok = await call(sandbox, "GET", "/accounts")
    assert (ok.status, ok.ratelimit, ok.policy) == (200, '"default";r=2;t=10', '"default";q=3;w=10')
    missing = await call(sandbox, "GET", "/accounts/" + "0" * 32)
    assert (missing.status, missing.ratelimit) == (404, '"default";r=1;t=10')
    invalid = await call(sandbox, "POST", f"/accounts/{account_id}/members", json={"email": 5})
    assert (invalid.status, invalid.ratelimit) == (400, '"default";r=0;t=10')
    refused = await call(sandbox, "GET", "/accounts")
    assert (refused.status, refused.code, refused.retry_after) == (429, 971, "10")
    assert (refused.ratelimit, refused.policy) == ('"default";r=0;t=10', '"default";q=3;w=10')
    # Answers that spend nothing still say where the caller stands.
    nowhere = await call(sandbox, "GET", "/nowhere")
    assert (nowhere.status, nowhere.ratelimit) == (404, '"default";r=0;t=10')
    sandbox.inject(Fault.error(503))
    injected = await call(sandbox, "GET", "/accounts")
    assert (injected.status, injected.ratelimit) == (503, '"default";r=0;t=10')


async def test_an_unauthenticated_answer_has_no_quota_to_report(sandbox: Sandbox) -> None:
    for token in (None, "not-a-credential"):
        answer = await call(sandbox, "GET", "/accounts", token=token)
        assert answer.status == 401
        assert (answer.ratelimit, answer.policy) == (None, None)
    # ... and spends no one's.
    assert (await call(sandbox, "GET", "/accounts")).ratelimit == '"default";r=2;t=10'


@pytest.mark.cloudflare_sandbox(rate_limit=None)
async def test_no_rate_limit_no_headers(sandbox: Sandbox) -> None:
    for _ in range(5):
        answer = await call(sandbox, "GET", "/accounts")
        assert (answer.status, answer.ratelimit, answer.policy) == (200, None, None)
    assert sandbox.spend_quota(10_000) == 10_000


async def test_going_over_locks_the_credential_out_for_one_window(
    sandbox: Sandbox, clock: Clock
) -> None:
    account_id = sandbox.account_ids[0]
    for remaining in (2, 1):
        answer = await call(sandbox, "GET", "/accounts")
        assert answer.ratelimit == f'"default";r={remaining};t=10'
    clock.advance(7.5)
    assert (await call(sandbox, "GET", "/accounts")).ratelimit == '"default";r=0;t=3'
    # The window would reset in 2.5 s; the lockout lasts a full window from the first refusal.
    first = await call(sandbox, "GET", "/accounts")
    assert (first.status, first.retry_after, first.ratelimit) == (429, "10", '"default";r=0;t=10')
    members = dict(sandbox.store.accounts[account_id].members)
    audit = list(sandbox.store.accounts[account_id].audit)
    clock.advance(6.2)
    refused = await call(
        sandbox, "POST", f"/accounts/{account_id}/members", json={"email": "x@example.com"}
    )
    assert (refused.status, refused.code, refused.retry_after) == (429, 971, "4")
    assert refused.ratelimit == '"default";r=0;t=4'
    # A refused request does nothing and does not count: the lockout is not extended.
    assert sandbox.store.accounts[account_id].members == members
    assert sandbox.store.accounts[account_id].audit == audit
    clock.advance(3.8)
    after = await call(sandbox, "GET", "/accounts")
    assert (after.status, after.ratelimit) == (200, '"default";r=2;t=10')
    assert sandbox.counters.responses == {200: 4, 429: 2}


@pytest.mark.cloudflare_sandbox(rate_limit=RateLimit(2, per=10, lockout=0))
async def test_without_a_lockout_refusals_end_with_the_window(
    sandbox: Sandbox, clock: Clock
) -> None:
    sandbox.spend_quota(2)
    clock.advance(3.5)
    refused = await call(sandbox, "GET", "/accounts")
    assert (refused.status, refused.retry_after, refused.ratelimit) == (
        429,
        "7",
        '"default";r=0;t=7',
    )
    clock.advance(6.5)
    assert (await call(sandbox, "GET", "/accounts")).ratelimit == '"default";r=1;t=10'


@pytest.mark.cloudflare_sandbox(rate_limit=RateLimit(2, per=10, lockout=45.5))
async def test_a_longer_lockout_is_kept_exactly(sandbox: Sandbox, clock: Clock) -> None:
    assert sandbox.spend_quota(3) == 2
    answer = await call(sandbox, "GET", "/accounts")
    assert (answer.status, answer.retry_after, answer.ratelimit) == (
        429,
        "46",
        '"default";r=0;t=46',
    )
    clock.advance(45.5)
    assert (await call(sandbox, "GET", "/accounts")).status == 200


@pytest.mark.cloudflare_sandbox(rate_limit=RateLimit(3, per=0.25))
async def test_sub_second_windows_round_up_in_the_headers(sandbox: Sandbox) -> None:
    answer = await call(sandbox, "GET", "/accounts")
    assert (answer.ratelimit, answer.policy) == ('"default";r=2;t=1', '"default";q=3;w=1')


@pytest.mark.cloudflare_sandbox(
    rate_limit=RateLimit(5, per=60), api_email="ops@example.com", api_key="global-key"
)
async def test_quota_is_per_user_and_account_tokens_have_their_own(sandbox: Sandbox) -> None:
    account_id = sandbox.account_ids[0]
    key_headers = {"X-Auth-Email": "ops@example.com", "X-Auth-Key": "global-key"}
    # The sandbox's own token and key are one user: one quota.
    await call(sandbox, "GET", "/accounts")
    by_key = await call(sandbox, "GET", "/accounts", token=None, headers=key_headers)
    assert by_key.ratelimit == '"default";r=3;t=60'

    async with sandbox.client(max_retries=0, rate_limit=None) as client:
        created = await client.accounts.tokens.create(
            account_id=account_id, name="ci", policies=[POLICY]
        )
        assert created.id is not None
        secret = str(created.value)
        # A token created in the sandbox authenticates, with a quota of its own.
        own = await call(sandbox, "GET", f"/accounts/{account_id}/tokens/verify", token=secret)
        assert (own.status, own.ratelimit) == (200, '"default";r=4;t=60')
        sandbox.spend_quota(4, credential=secret)
        assert (await call(sandbox, "GET", "/accounts", token=secret)).status == 429
        # Rolling its secret does not give it a new quota.
        rolled = await client.accounts.tokens.value.update(
            created.id, account_id=account_id, body={}
        )
    assert (await call(sandbox, "GET", "/accounts", token=str(rolled))).status == 429
    # The user's own quota was spent only by the user: 2 reads, the creation, the roll.
    assert (await call(sandbox, "GET", "/accounts")).ratelimit == '"default";r=0;t=60'


@pytest.mark.cloudflare_sandbox(rate_limit=RateLimit(10, per=60))
async def test_spend_quota_is_seen_by_the_next_answer(sandbox: Sandbox) -> None:
    assert sandbox.spend_quota(7) == 7
    assert (await call(sandbox, "GET", "/accounts")).ratelimit == '"default";r=2;t=60'
    assert sandbox.spend_quota(5) == 2  # the rest were refused: the user is locked out
    assert (await call(sandbox, "GET", "/accounts")).retry_after == "60"
    with pytest.raises(ValueError, match="not a credential"):
        sandbox.spend_quota(1, credential="someone-else")
    with pytest.raises(ValueError, match="0 or more"):
        sandbox.spend_quota(-1)


@pytest.mark.cloudflare_sandbox(accounts=1, tokens_per_account=2, max_tokens_per_account=3)
async def test_token_quota_per_account_is_configurable(sandbox: Sandbox) -> None:
    account_id = sandbox.account_ids[0]
    async with sandbox.client(max_retries=0) as client:
        await client.accounts.tokens.create(account_id=account_id, name="third", policies=[POLICY])
        audit = list(sandbox.store.accounts[account_id].audit)
        with pytest.raises(BadRequestError) as caught:
            await client.accounts.tokens.create(
                account_id=account_id, name="fourth", policies=[POLICY]
            )
    assert caught.value.status_code == 400
    assert caught.value.errors[0].code == 1005
    assert caught.value.errors[0].message.endswith("an account may own 3")
    assert len(sandbox.store.accounts[account_id].tokens) == 3
    assert sandbox.store.accounts[account_id].audit == audit


@pytest.mark.cloudflare_sandbox(accounts=1, tokens_per_account=1, rate_limit=None)
async def test_an_account_holds_at_most_500_tokens_by_default(sandbox: Sandbox) -> None:
    account_id = sandbox.account_ids[0]
    tokens = sandbox.store.accounts[account_id].tokens
    model = next(iter(tokens.values()))
    for number in range(499):
        tokens[f"{number:032x}"] = {**model, "id": f"{number:032x}"}
    body = {"name": "501st", "policies": [POLICY]}
    answer = await call(sandbox, "POST", f"/accounts/{account_id}/tokens", json=body)
    assert (answer.status, answer.code) == (400, 1005)
    assert len(tokens) == 500


def test_seeding_more_tokens_than_the_quota_is_refused() -> None:
    with pytest.raises(ValueError, match="max_tokens_per_account"):
        Sandbox(tokens_per_account=4, max_tokens_per_account=3)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"limit": 2, "per": math.nan}, "per must be a positive, finite number"),
        ({"limit": 2, "per": math.inf}, "per must be a positive, finite number"),
        ({"limit": 2, "per": -math.inf}, "per must be a positive, finite number"),
        ({"limit": 2, "per": 1, "lockout": math.nan}, "lockout must be"),
        ({"limit": 2, "per": 1, "lockout": math.inf}, "lockout must be"),
        ({"limit": 2, "per": 1, "lockout": -1}, "lockout must be"),
    ],
)
def test_rate_limit_refuses_non_finite_numbers(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RateLimit(**arguments)


@pytest.mark.parametrize("text", ["5/nan", "5/inf", "5/-inf", "5/NaN", "5/0", "0/5"])
def test_rate_limit_parse_refuses_out_of_range_numbers(text: str) -> None:
    with pytest.raises(ValueError, match="must be a positive, finite number"):
        RateLimit.parse(text)


def test_rate_limit_lockout_defaults_to_one_window() -> None:
    assert RateLimit(1200, per=300).lockout_seconds == 300
    assert RateLimit(1200, per=300, lockout=0).lockout_seconds == 0
    assert RateLimit.parse("60/10") == RateLimit(60, per=10)
