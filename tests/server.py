"""A recording HTTP server on 127.0.0.1 for wire tests.

Routes are path templates relative to ``/client/v4``; each answers with a
queue of replies (the last one repeats). Every request received is recorded
with its raw path, query pairs, headers and body.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from typing import Any

import attrs
from aiohttp import web
from multidict import CIMultiDictProxy

BASE_PATH = "/client/v4"


@attrs.frozen
class Reply:
    """One scripted answer."""

    status: int = 200
    json: Any = None
    body: bytes | None = None
    headers: dict[str, str] = attrs.field(factory=dict)
    delay: float = 0.0
    drop: bool = False


def envelope(result: Any, result_info: Any = None, **extra: Any) -> dict[str, Any]:
    """A successful Cloudflare envelope."""
    env = {"success": True, "errors": [], "messages": [], "result": result, **extra}
    if result_info is not None:
        env["result_info"] = result_info
    return env


@attrs.frozen
class Recorded:
    """One request as the server saw it.

    Its repr leaves the headers out: the server's side sees the credential,
    and the suite's secrets guard renders test frames' locals too.
    """

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: CIMultiDictProxy[str] = attrs.field(repr=False)
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@attrs.define
class _Route:
    method: str
    pattern: re.Pattern[str]
    # Not in the repr: a reply may hold a token secret (see Recorded).
    replies: list[Reply | Callable[[Recorded], Reply]] = attrs.field(repr=False)
    template: str


def template_pattern(template: str) -> re.Pattern[str]:
    """``/accounts/{account_id}`` as a regex over raw paths."""
    return re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$")


@attrs.define
class RecordingServer:
    """The server; start it with :meth:`start`."""

    requests: list[Recorded] = attrs.field(factory=list)
    _routes: list[_Route] = attrs.field(factory=list)
    _runner: web.AppRunner | None = None
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{BASE_PATH}"

    def add(
        self, method: str, template: str, *replies: Reply | Callable[[Recorded], Reply]
    ) -> None:
        """Answer ``method template`` with ``replies`` in turn.

        As in the API, the template with fewer placeholders wins:
        ``/tokens/verify`` before ``/tokens/{token_id}``.
        """
        self._routes.append(_Route(method, template_pattern(template), list(replies), template))
        self._routes.sort(key=lambda route: route.template.count("{"))

    def reply_json(self, method: str, template: str, *bodies: Any, status: int = 200) -> None:
        self.add(method, template, *(Reply(status=status, json=b) for b in bodies))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        recorded = Recorded(
            request.method,
            request.raw_path.split("?", 1)[0],
            list(request.query.items()),
            request.headers,
            await request.read(),
        )
        self.requests.append(recorded)
        path = recorded.path.removeprefix(BASE_PATH)
        for route in self._routes:
            if route.method == request.method and route.pattern.match(path):
                step = route.replies.pop(0) if len(route.replies) > 1 else route.replies[0]
                reply = step(recorded) if callable(step) else step
                return await self._answer(request, reply)
        return web.json_response(
            {"success": False, "errors": [{"code": 7003, "message": "No route"}]}, status=404
        )

    async def _answer(self, request: web.Request, reply: Reply) -> web.StreamResponse:
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.drop:
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        headers = {"cf-ray": f"ray-{len(self.requests)}", **reply.headers}
        if reply.body is not None:
            return web.Response(status=reply.status, body=reply.body, headers=headers)
        return web.json_response(reply.json, status=reply.status, headers=headers)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # A client that hangs up ends its handler (a slow reply's delay), as
        # a real server's would, so stopping the server does not wait for it.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
