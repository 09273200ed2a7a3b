"""The sandbox's HTTP face: routes, the Cloudflare envelope, auth, limits, faults, counters.

One handler runs every request through the same steps, in the order the
real service applies them: count it, apply a scripted fault, authenticate,
rate-limit, run the operation, log a change to the audit log, answer.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
from aiohttp import web

from . import _auditlog
from ._auth import Authenticator
from ._errors import SandboxError, bad_request, no_route, rate_limited
from ._faults import Fault, FaultScript
from ._quota import Quota
from ._records import JSON
from ._store import Call, Operation, Outcome, Store

BASE_PATH = "/client/v4"


@attrs.frozen
class Route:
    """An endpoint: method, path (relative to ``/client/v4``) and what it does.

    ``audit`` is (action type, description, product, resource type) for the
    calls that change something and so leave an audit-log entry.
    """

    method: str
    path: str
    operation: Operation
    audit: tuple[str, str, str, str] | None = None

    @property
    def key(self) -> str:
        """How tests name the route: ``"POST /accounts/{account_id}/members"``."""
        return f"{self.method} {self.path}"


_ACCOUNT = "/accounts/{account_id}"
_MEMBER = _ACCOUNT + "/members/{member_id}"
_SUBSCRIPTION = _ACCOUNT + "/subscriptions/{subscription_identifier}"
_TOKEN = _ACCOUNT + "/tokens/{token_id}"

ROUTES: tuple[Route, ...] = (
    Route("GET", "/accounts", Store.list_accounts),
    Route(
        "POST",
        "/accounts",
        Store.create_account,
        ("create", "Create Account", "accounts", "account"),
    ),
    Route("GET", _ACCOUNT, Store.get_account),
    Route(
        "PUT", _ACCOUNT, Store.update_account, ("update", "Update Account", "accounts", "account")
    ),
    Route(
        "DELETE",
        _ACCOUNT,
        Store.delete_account,
        ("delete", "Delete Account", "accounts", "account"),
    ),
    Route("GET", _ACCOUNT + "/members", Store.list_members),
    Route(
        "POST",
        _ACCOUNT + "/members",
        Store.create_member,
        ("create", "Add Member", "members", "member"),
    ),
    Route("GET", _MEMBER, Store.get_member),
    Route("PUT", _MEMBER, Store.update_member, ("update", "Update Member", "members", "member")),
    Route("DELETE", _MEMBER, Store.delete_member, ("delete", "Remove Member", "members", "member")),
    Route("GET", _ACCOUNT + "/roles", Store.list_roles),
    Route("GET", _ACCOUNT + "/roles/{role_id}", Store.get_role),
    Route("GET", _ACCOUNT + "/subscriptions", Store.list_subscriptions),
    Route(
        "POST",
        _ACCOUNT + "/subscriptions",
        Store.create_subscription,
        ("create", "Create Subscription", "billing", "subscription"),
    ),
    Route(
        "PUT",
        _SUBSCRIPTION,
        Store.update_subscription,
        ("update", "Update Subscription", "billing", "subscription"),
    ),
    Route(
        "DELETE",
        _SUBSCRIPTION,
        Store.delete_subscription,
        ("delete", "Cancel Subscription", "billing", "subscription"),
    ),
    Route("GET", _ACCOUNT + "/tokens", Store.list_tokens),
    Route(
        "POST",
        _ACCOUNT + "/tokens",
        Store.create_token,
        ("create", "Create Token", "tokens", "token"),
    ),
    Route("GET", _ACCOUNT + "/tokens/verify", Store.verify_token),
    Route("GET", _ACCOUNT + "/tokens/permission_groups", Store.list_permission_groups),
    Route("GET", _TOKEN, Store.get_token),
    Route("PUT", _TOKEN, Store.update_token, ("update", "Update Token", "tokens", "token")),
    Route("DELETE", _TOKEN, Store.delete_token, ("delete", "Delete Token", "tokens", "token")),
    Route("PUT", _TOKEN + "/value", Store.roll_token, ("update", "Roll Token", "tokens", "token")),
    Route("GET", _ACCOUNT + "/logs/audit", Store.list_audit_logs),
)
"""Every endpoint the sandbox serves; fixed paths come before the parametrized ones they overlap."""

_JSON_TYPE = "application/json"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def envelope(outcome: Outcome) -> bytes:
    """A successful Cloudflare response body."""
    body: JSON = {"success": True, "errors": [], "messages": [], "result": outcome.result}
    if outcome.result_info is not None:
        body["result_info"] = outcome.result_info
    return json.dumps(body, separators=(",", ":")).encode()


def failure(errors: list[JSON]) -> bytes:
    """An error body: ``success: false`` and the errors."""
    return json.dumps({"success": False, "errors": errors, "messages": [], "result": None}).encode()


def _json_response(status: int, body: bytes, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=body, content_type=_JSON_TYPE, headers=headers)


def _error_response(error: SandboxError, headers: dict[str, str] | None = None) -> web.Response:
    return _json_response(error.status, failure(error.errors()), headers)


@attrs.define
class Counters:
    """What the sandbox received and answered, for tests and benchmarks to assert on."""

    #: Requests received per route key (``"POST /accounts/{account_id}/members"``),
    #: faults and refusals included; unknown paths count under ``"unrouted"``.
    received: Counter[str] = attrs.field(factory=Counter)
    #: Responses sent per HTTP status; dropped connections count under 0.
    responses: Counter[int] = attrs.field(factory=Counter)

    @property
    def in_flight(self) -> int:
        """Requests received and not answered yet (a latency fault still sleeping, say)."""
        return sum(self.received.values()) - sum(self.responses.values())


class SandboxApp:
    """Builds the :class:`aiohttp.web.Application` that serves a :class:`Store`."""

    def __init__(
        self, store: Store, auth: Authenticator, quota: Quota | None, faults: FaultScript
    ) -> None:
        self.store = store
        self.auth = auth
        self.quota = quota
        self.faults = faults
        self.counters = Counters()
        self._rays = random.Random(id(self)).getrandbits(63)

    def application(self) -> web.Application:
        app = web.Application()
        for route in ROUTES:
            app.router.add_route(route.method, BASE_PATH + route.path, self._handler(route))
        app.router.add_route("*", "/{tail:.*}", self._unrouted)
        return app

    def _next_ray(self) -> str:
        self._rays = (self._rays + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        return f"{self._rays:016x}"

    def _handler(self, route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            self.counters.received[route.key] += 1
            ray = self._next_ray()
            try:
                response = await self._serve(request, route, ray)
            except SandboxError as error:
                response = _error_response(error)
            except ConnectionError:  # the client went away: nothing to answer
                self.counters.responses[0] += 1
                raise
            return self._sent(request, response, ray)

        return handle

    async def _unrouted(self, request: web.Request) -> web.StreamResponse:
        self.counters.received["unrouted"] += 1
        return self._sent(request, _error_response(no_route()), self._next_ray())

    def _sent(
        self, request: web.Request, response: web.StreamResponse, ray: str
    ) -> web.StreamResponse:
        """Count the answer, and stamp it with its ``cf-ray``."""
        if request.transport is None or request.transport.is_closing():
            self.counters.responses[0] += 1
        else:
            self.counters.responses[response.status] += 1
        if not response.prepared:
            response.headers["cf-ray"] = f"{ray}-SBX"
        return response

    async def _serve(self, request: web.Request, route: Route, ray: str) -> web.StreamResponse:
        fault = self.faults.take(route.key, request.match_info.get("account_id"))
        if fault is not None:
            early = await self._early_fault(request, fault, ray)
            if early is not None:
                return early
        key, identity = self.auth.identify(request.headers)
        if self.quota is not None:
            retry_after = self.quota.admit(key)
            if retry_after is not None:
                return _error_response(rate_limited(), {"Retry-After": str(retry_after)})
        body = await self._read_json(request) if request.method in _BODY_METHODS else None
        idempotency_key = request.headers.get("Idempotency-Key")
        call = Call(dict(request.match_info), request.query, body, identity, idempotency_key)
        outcome = route.operation(self.store, call)
        if route.audit is not None and not outcome.replayed:
            self._log_change(request, route.audit, call, outcome, ray)
        payload = envelope(outcome)
        if fault is not None:
            return await self._late_fault(request, fault, payload)
        return _json_response(200, payload)

    @staticmethod
    async def _read_json(request: web.Request) -> Any:
        raw = await request.read()
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise bad_request("Malformed JSON in request body") from None

    async def _early_fault(
        self, request: web.Request, fault: Fault, ray: str
    ) -> web.StreamResponse | None:
        """The response for a fault that stops the request before it is carried out."""
        if fault.kind == "latency":
            # The request has arrived whole; it is the answer that is slow.
            await request.read()
            await asyncio.sleep(fault.seconds)
            return None
        if fault.kind == "status":
            headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
            if fault.html:
                page = fault.html_page(ray)
                return web.Response(
                    status=fault.status, text=page, content_type="text/html", headers=headers
                )
            error = SandboxError(fault.status, fault.code, fault.message)
            return _error_response(error, headers)
        if fault.kind == "body":
            response = web.Response(status=fault.status, body=fault.content)
            response.content_type = fault.content_type
            return response
        if fault.kind == "unsuccessful":
            return _json_response(200, failure([{"code": fault.code, "message": fault.message}]))
        if fault.kind == "disconnect" and fault.point == "before_read":
            return self._drop(request)
        return None

    async def _late_fault(
        self, request: web.Request, fault: Fault, payload: bytes
    ) -> web.StreamResponse:
        """The response for a fault that strikes after the request was carried out."""
        if fault.kind == "truncated":
            return _json_response(200, payload[: len(payload) // 2])
        if fault.kind == "disconnect" and fault.point == "mid_body":
            response = web.StreamResponse(status=200)
            response.content_type = _JSON_TYPE
            response.content_length = len(payload)
            await response.prepare(request)
            await response.write(payload[: len(payload) // 2])
            return self._drop(request, response)
        if fault.kind == "disconnect":
            return self._drop(request)
        return _json_response(200, payload)

    def _drop(
        self, request: web.Request, response: web.StreamResponse | None = None
    ) -> web.StreamResponse:
        if request.transport is not None:
            request.transport.close()
        return response if response is not None else web.Response()

    def _log_change(
        self,
        request: web.Request,
        audit: tuple[str, str, str, str],
        call: Call,
        outcome: Outcome,
        ray: str,
    ) -> None:
        action_type, description, product, resource_type = audit
        account_id = call.params.get("account_id") or outcome.resource_id
        record = self.store.accounts.get(account_id or "")
        if record is None:  # the account itself was deleted; its log went with it
            return
        record.audit.append(
            _auditlog.new_entry(
                entry_id=self.store.new_id(),
                record=record,
                identity=call.identity,
                action=(action_type, description),
                resource=(product, resource_type, outcome.resource_id),
                ip_address=request.remote or "127.0.0.1",
                raw={
                    "cf_ray_id": ray,
                    "method": request.method,
                    "status_code": 200,
                    "uri": request.path.removeprefix(BASE_PATH),
                    "user_agent": request.headers.get("User-Agent", ""),
                },
                request=call.body,
                response=None if isinstance(outcome.result, str) else outcome.result,
            )
        )
