"""The sandbox's HTTP face: routes, the Cloudflare envelope, auth, limits, faults, counters.

One handler runs every request through the same steps, in the order the
real service applies them: count it, apply a scripted fault, authenticate,
rate-limit, run the operation, log a change to the audit log, answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
from aiohttp import web
from aiohttp.web_protocol import RequestHandler, RequestPayloadError
from aiohttp.web_request import BaseRequest
from aiohttp.web_urldispatcher import _default_expect_handler

from . import _auditlog
from ._auth import Authenticator
from ._errors import (
    SandboxError,
    internal_error,
    malformed_request,
    no_route,
    rate_limited,
)
from ._faults import Fault, FaultScript
from ._quota import Quota
from ._records import JSON
from ._shapes import decode_body
from ._store import Call, Operation, Outcome, Store

BASE_PATH = "/client/v4"

_logger = logging.getLogger("cfaccounts.testing")


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


async def _continue_or_ignore(request: web.Request) -> None:
    """``Expect: 100-continue`` as aiohttp answers it; any other expectation is ignored.

    aiohttp's own handler answers those with a plain-text 417 that no handler
    of ours sees; the request goes on instead, to be answered in an envelope.
    """
    if request.headers.get("Expect", "").lower() == "100-continue":
        await _default_expect_handler(request)


class _UnreadableBody(SandboxError):
    """A body aiohttp could not read whole: the connection closes after the answer."""


#: The ``Content-Encoding`` values a request body may have. aiohttp's other
#: decoders fail in ways its server cannot report (a bad deflate body left the
#: request waiting forever), so they are refused before any of it is read.
_BODY_ENCODINGS = frozenset({"", "identity", "gzip"})


async def _read_body(request: web.Request) -> bytes:
    """The whole body of any request, read so that nothing is left for aiohttp to choke on.

    Raises:
        SandboxError: a 415 for a ``Content-Encoding`` other than gzip, a 413
            for a body over the size limit, a 400 for gzip that does not decode.
    """
    if not request.body_exists:
        return b""
    if request.headers.get("Content-Encoding", "").strip().lower() not in _BODY_ENCODINGS:
        message = "Request body refused: Content-Encoding must be gzip or identity"
        raise _UnreadableBody(415, 1001, message)
    try:
        return await request.read()
    except web.HTTPException as error:  # too large
        raise _UnreadableBody(error.status, 1001, f"Request body refused: {error.reason}") from None
    except RequestPayloadError:
        request.content.feed_eof()  # nothing more is read from it; the connection closes
        message = "Request body refused: its encoding does not decode"
        raise _UnreadableBody(400, 1001, message) from None


def _json_response(status: int, body: bytes, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=body, content_type=_JSON_TYPE, headers=headers)


def _error_response(error: SandboxError, headers: dict[str, str] | None = None) -> web.Response:
    return _json_response(error.status, failure(error.errors()), headers)


@attrs.define
class Counters:
    """What the sandbox received and answered, for tests and benchmarks to assert on."""

    #: Requests received per route key (``"POST /accounts/{account_id}/members"``),
    #: faults and refusals included; unknown paths count under ``"unrouted"``,
    #: requests too malformed to route (bad HTTP, an unsupported
    #: ``Content-Encoding``) under ``"malformed"``.
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
        #: Handlers sleeping in a latency fault, cancelled when the sandbox closes.
        self._sleeping: set[asyncio.Task[Any]] = set()

    def cancel_pending(self) -> None:
        """Cancel the answers latency faults are holding back (the sandbox is closing)."""
        for task in self._sleeping:
            task.cancel()

    def protocol(self, server: web.Server) -> Callable[[], RequestHandler]:
        """The protocol factory to listen with: aiohttp's, with envelopes for malformed HTTP.

        aiohttp answers what it cannot parse (a bad request line or header, a
        ``Content-Encoding`` it cannot decode) itself, in plain text, before
        any handler runs; this one answers those like every other request.
        """
        sandbox = self

        class EnvelopeProtocol(RequestHandler):
            def handle_error(
                self,
                request: BaseRequest,
                status: int = 500,
                exc: BaseException | None = None,
                message: str | None = None,
            ) -> web.StreamResponse:
                if request.writer.output_size > 0:
                    raise ConnectionError("the answer was already sent in part")
                return sandbox._malformed(request, status, exc)

        loop = asyncio.get_running_loop()
        # No access log, as AppRunner(access_log=None) gives (aiohttp types it as a
        # Logger). No lingering over a body left unread (a refused encoding): the
        # connection closes once answered, rather than aiohttp reading on.
        return lambda: EnvelopeProtocol(
            server,
            loop=loop,
            access_log=None,  # type: ignore[arg-type]
            lingering_time=0,
        )

    def _malformed(
        self, request: BaseRequest, status: int, exc: BaseException | None
    ) -> web.StreamResponse:
        self.counters.received["malformed"] += 1
        _logger.debug("Malformed request from %s", request.remote, exc_info=exc)
        response = _error_response(malformed_request(status))
        response.force_close()  # the connection's state is unknown past a parse error
        self.counters.responses[status] += 1
        response.headers["cf-ray"] = f"{self._next_ray()}-SBX"
        return response

    def application(self) -> web.Application:
        app = web.Application()
        for route in ROUTES:
            app.router.add_route(
                route.method,
                BASE_PATH + route.path,
                self._handler(route),
                expect_handler=_continue_or_ignore,
            )
        # Any path at all: "." would not match a newline (``%0A``).
        app.router.add_route(
            "*", r"/{tail:[\s\S]*}", self._unrouted, expect_handler=_continue_or_ignore
        )
        return app

    def _next_ray(self) -> str:
        self._rays = (self._rays + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        return f"{self._rays:016x}"

    def _handler(self, route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            ray = self._next_ray()
            return await self._answer(request, route.key, self._serve(request, route, ray), ray)

        return handle

    async def _unrouted(self, request: web.Request) -> web.StreamResponse:
        async def refuse() -> web.StreamResponse:
            await _read_body(request)  # a body aiohttp cannot read is refused as such
            raise no_route()

        return await self._answer(request, "unrouted", refuse(), self._next_ray())

    async def _answer(
        self,
        request: web.Request,
        route_key: str,
        serving: Awaitable[web.StreamResponse],
        ray: str,
    ) -> web.StreamResponse:
        """Count a request, serve it, and turn whatever happens into a counted answer."""
        self.counters.received[route_key] += 1
        # Resolved before the operation: a token that rolls or deletes itself
        # is still told where its quota stands.
        quota_key = self.auth.quota_key(request.headers)
        try:
            response = await serving
        except SandboxError as error:
            response = _error_response(error)
            if isinstance(error, _UnreadableBody):
                response.force_close()  # what is left of the body cannot be skipped
        except ConnectionError:  # the client went away: nothing to answer
            self.counters.responses[0] += 1
            raise
        except Exception:  # a defect of the sandbox: still an envelope, and counted
            _logger.exception("The sandbox failed to serve %s %s", request.method, route_key)
            response = _error_response(internal_error())
        except BaseException:  # cancelled: the sandbox is closing
            self.counters.responses[0] += 1
            raise
        return self._sent(request, response, ray, quota_key)

    def _sent(
        self,
        request: web.Request,
        response: web.StreamResponse,
        ray: str,
        quota_key: str | None,
    ) -> web.StreamResponse:
        """Count the answer, and stamp it with its ``cf-ray`` and the caller's quota.

        An answer to a request without a credential the sandbox knows has no
        ``Ratelimit`` headers: it spends no user's quota.
        """
        if request.transport is None or request.transport.is_closing():
            self.counters.responses[0] += 1
        else:
            self.counters.responses[response.status] += 1
        if not response.prepared:
            response.headers["cf-ray"] = f"{ray}-SBX"
            if self.quota is not None and quota_key is not None:
                response.headers.update(self.quota.headers(quota_key))
        return response

    async def _serve(self, request: web.Request, route: Route, ray: str) -> web.StreamResponse:
        fault = self.faults.take(route.key, request.match_info.get("account_id"))
        if fault is not None:
            early = await self._early_fault(request, fault, ray)
            if early is not None:
                return early
        raw = await _read_body(request)
        key, identity = self.auth.identify(request.headers)
        if self.quota is not None:
            retry_after = self.quota.admit(key)
            if retry_after is not None:
                return _error_response(rate_limited(), {"Retry-After": str(retry_after)})
        body = decode_body(raw) if request.method in _BODY_METHODS else None
        idempotency_key = request.headers.get("Idempotency-Key")
        call = Call(dict(request.match_info), request.query, body, identity, idempotency_key)
        outcome = route.operation(self.store, call)
        if route.audit is not None and not outcome.replayed:
            self._log_change(request, route.audit, call, outcome, ray)
        payload = envelope(outcome)
        if fault is not None:
            return await self._late_fault(request, fault, payload)
        return _json_response(200, payload)

    async def _early_fault(
        self, request: web.Request, fault: Fault, ray: str
    ) -> web.StreamResponse | None:
        """The response for a fault that stops the request before it is carried out."""
        if fault.kind == "latency":
            # The request has arrived whole; it is the answer that is slow.
            await _read_body(request)
            sleeping = asyncio.current_task()
            assert sleeping is not None  # noqa: S101 - aiohttp runs every handler in a task
            self._sleeping.add(sleeping)
            try:
                await asyncio.sleep(fault.seconds)
            finally:
                self._sleeping.discard(sleeping)
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
