"""Response to result: the one decoding step every response goes through (pure).

The envelope ``{"success", "errors", "messages", "result", "result_info"}``
is unwrapped; every way a response can fail becomes a typed exception with
the status, Cloudflare's error codes and messages, and the ``cf-ray`` id:

- an error status (with JSON ``errors``, JSON without them, HTML or nothing);
- ``success: false``, even with HTTP 200;
- a success status whose body is empty, not JSON, truncated, or not an
  envelope (:class:`APIResponseValidationError`).
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple, TypeVar

from ._exceptions import APIResponseValidationError, status_error_class
from ._secrets import Redactor
from .models.envelope import ResponseInfo

T = TypeVar("T")

_SNIPPET_LENGTH = 160
_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_WHITESPACE = re.compile(r"\s+")


class RawResponse(NamedTuple):
    """What the transport read: status, reason, headers and the whole body.

    Its repr leaves the body out: it may hold a token secret.
    """

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes
    #: Seconds from sending the request to reading the whole body.
    elapsed: float = 0.0

    def __repr__(self) -> str:
        return f"<RawResponse {self.status} {self.reason} ({len(self.body)} bytes)>"


class Envelope(NamedTuple):
    """A successful envelope's payload, with the status and ``cf-ray`` it came with."""

    result: Any
    result_info: Any
    status: int
    ray_id: str | None
    #: The response it was read from, for ``with_raw_response``.
    response: RawResponse

    def __repr__(self) -> str:
        # Not the result: it may hold a token secret.
        return f"<Envelope {self.status} cf-ray {self.ray_id}>"


def structure_result(
    envelope: Envelope,
    build: Callable[[Envelope], T],
    *,
    method: str,
    url: object,
    carries_secret: bool = False,
) -> T:
    """``build(envelope)``, with any failure to structure it raised as a typed error.

    ``carries_secret``: the result holds a token secret, so the failure's
    text, and its traceback, whose frames hold the raw result, are withheld.

    A ``result`` of ``null`` is such a failure: no call of the Accounts API
    documents ``null`` as its result (the official SDK returns ``None``).

    Raises:
        APIResponseValidationError: the result does not have the documented shape.
    """
    try:
        if envelope.result is None:
            raise TypeError("the result is null")
        return build(envelope)
    except Exception as exc:
        withheld = carries_secret and envelope.result is not None  # null holds no secret
        detail = (
            f"{type(exc).__name__} (details withheld: the result may hold a token secret)"
            if withheld
            else f"{type(exc).__name__}: {exc}"
        )
        error = APIResponseValidationError(
            f"HTTP {envelope.status} but the result does not have the documented shape: " + detail,
            method=method,
            url=str(url),
            status_code=envelope.status,
            ray_id=envelope.ray_id,
        )
        if withheld:
            raise error from None
        raise error from exc


def snippet(body: bytes, redact: Redactor) -> str:
    """A short, one-line, secret-free excerpt of ``body`` for error messages.

    For an HTML page, its title is what tells (``502 Bad Gateway``). The
    text is redacted before it is cut (:meth:`Redactor.excerpt`).
    """
    title = _HTML_TITLE.search(body)
    text = (title.group(1) if title else body).decode("utf-8", "replace")
    return redact.excerpt(_WHITESPACE.sub(" ", redact(text)).strip(), _SNIPPET_LENGTH)


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date).

    A value that is not a finite number of seconds (``nan``, ``inf``) counts
    as absent: waiting it out could never end, or never start.
    """
    millis = headers.get("retry-after-ms")
    if millis is not None and (seconds := _seconds(millis, per_second=1000)) is not None:
        return seconds
    value = headers.get("retry-after")
    if value is None:
        return None
    if (seconds := _seconds(value)) is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return max(when - (time.time() if now is None else now), 0.0)


def _seconds(text: str, *, per_second: float = 1) -> float | None:
    """``text`` as a finite count of seconds (at least 0), or ``None``."""
    try:
        seconds = float(text) / per_second
    except ValueError:
        return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _response_infos(items: Any, redact: Redactor) -> list[ResponseInfo]:
    # Redacted too: an API that echoes a credential back must not leak it here.
    if not isinstance(items, list):
        return []
    infos = []
    for item in items:
        if isinstance(item, Mapping):
            code = item.get("code")
            infos.append(
                ResponseInfo(
                    code=code if isinstance(code, int) and not isinstance(code, bool) else None,
                    message=redact(str(item.get("message", ""))),
                    documentation_url=item.get("documentation_url"),
                    source=item.get("source"),
                )
            )
        else:
            infos.append(ResponseInfo(message=redact(str(item))))
    return infos


def _summary(errors: list[ResponseInfo]) -> str:
    first = errors[0]
    text = f"[{first.code}] {first.message}" if first.code is not None else first.message
    return text + (f" (+{len(errors) - 1} more)" if len(errors) > 1 else "")


def _parse_envelope(
    body: bytes, quote: Callable[[bytes], str] | None
) -> tuple[dict[str, Any] | None, str]:
    """The envelope in ``body``, or ``None`` and what is wrong with the body."""
    if not body or body.isspace():
        return None, "body is empty"
    try:
        payload = json.loads(body)
    except ValueError:
        problem = "body is not JSON"
    except RecursionError:
        problem = "body is JSON nested too deeply to decode"
    else:
        if isinstance(payload, dict) and ("success" in payload or "result" in payload):
            return payload, ""
        problem = "body is not a Cloudflare envelope"
    excerpt = f": {quote(body)!r}" if quote else " (not quoted: it may hold a token secret)"
    return None, problem + excerpt


def decode_response(
    response: RawResponse,
    *,
    method: str,
    url: object,
    redact: Redactor,
    carries_secret: bool = False,
) -> Envelope:
    """Unwrap ``response``'s envelope, or raise the exception it amounts to.

    ``carries_secret``: a successful answer holds a token secret (token
    create, token roll), so a malformed one is never quoted in the error.

    Raises:
        APIStatusError: (a subclass per status) an error status or ``success: false``.
        APIResponseValidationError: a success status without a usable envelope.
    """
    status = response.status
    ray_id = response.headers.get("cf-ray")
    withhold = carries_secret and 200 <= status < 300
    envelope, problem = _parse_envelope(
        response.body, None if withhold else lambda body: snippet(body, redact)
    )
    if 200 <= status < 300:
        if envelope is None:
            raise APIResponseValidationError(
                f"HTTP {status} but the {problem}",
                method=method,
                url=str(url),
                status_code=status,
                ray_id=ray_id,
            )
        if envelope.get("success") is not False:
            return Envelope(
                envelope.get("result"), envelope.get("result_info"), status, ray_id, response
            )

    errors = _response_infos(envelope.get("errors"), redact) if envelope else []
    if errors:
        detail = _summary(errors)
    elif envelope is not None:
        detail = "success is false, with no error details" if status < 300 else "no error details"
    else:
        detail = problem
    reason = f" {response.reason}" if response.reason else ""
    error = status_error_class(status)(
        redact(f"{status}{reason}: {detail}"),
        method=method,
        url=str(url),
        status_code=status,
        errors=errors,
        messages=_response_infos(envelope.get("messages"), redact) if envelope else [],
        ray_id=ray_id,
        retry_after=retry_after(response.headers),
    )
    # The raw answer may echo a credential: not left in this frame's locals,
    # which a traceback with locals shows.
    del envelope
    raise error
