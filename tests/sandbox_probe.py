"""Raw HTTP against a running sandbox, and snapshots of its state, for the sandbox's tests.

``http.client`` sends exactly what a test gives it — any method, path,
header or body bytes — which aiohttp's client would refuse or rewrite.
"""

from __future__ import annotations

import http.client
import json
from typing import Any

import attrs

from cfaccounts.testing import Sandbox


@attrs.frozen
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def send(
    sandbox: Sandbox,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    credentials: bool = True,
) -> Answer:
    """One request on a fresh connection; ``path`` goes after ``/client/v4`` as given."""
    sent = {"Authorization": f"Bearer {sandbox.api_token}"} if credentials else {}
    sent.update(headers or {})
    connection = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=30)
    try:
        connection.request(method, "/client/v4" + path, body=body, headers=sent)
        response = connection.getresponse()
        return Answer(response.status, dict(response.getheaders()), response.read())
    finally:
        connection.close()


def send_json(sandbox: Sandbox, method: str, path: str, body: Any) -> Answer:
    return send(
        sandbox,
        method,
        path,
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )


def snapshot(sandbox: Sandbox) -> Any:
    """Everything a request could change, as text, but the tokens' ``last_used_on``.

    The API updates the calling token's ``last_used_on`` on any
    authenticated call, refused or not.
    """
    store = sandbox.store
    records = {}
    for account_id, record in store.accounts.items():
        fields = {field.name: getattr(record, field.name) for field in attrs.fields(type(record))}
        fields["tokens"] = {
            token_id: {key: value for key, value in token.items() if key != "last_used_on"}
            for token_id, token in record.tokens.items()
        }
        records[account_id] = fields
    return (
        json.dumps(records, sort_keys=True),
        sorted(store.token_by_secret.items()),
        store._rng.getstate(),
    )


def assert_envelope(answer: Answer) -> list[dict[str, Any]]:
    """``answer`` is a Cloudflare error envelope with a ``cf-ray``; its errors."""
    assert answer.headers.get("cf-ray", "").endswith("-SBX"), answer
    assert answer.headers.get("Content-Type", "").startswith("application/json"), answer
    body = answer.json()
    assert body["success"] is False, answer
    assert body["errors"], answer
    assert all(isinstance(error["code"], int) for error in body["errors"]), answer
    errors: list[dict[str, Any]] = body["errors"]
    return errors
