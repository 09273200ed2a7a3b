"""The client's configuration, checked once at construction (pure).

A value that could only fail later, at every call, fails here instead, with
a :class:`~cfaccounts.ConfigurationError` naming the argument and the
problem: nothing is sent with a configuration that cannot work.
"""

from __future__ import annotations

import re

import aiohttp
from yarl import URL

from ._exceptions import ConfigurationError

_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")
_CREDENTIAL_HEADERS = frozenset(
    {"authorization", "x-auth-key", "x-auth-email", "x-auth-user-service-key"}
)


def checked_base_url(raw: str, *, name: str) -> str:
    """``raw`` without a trailing slash, if it is a usable API root.

    http(s), absolute, with a host; no user name or password (credentials
    go in their own arguments, never in a URL that is logged and shown in
    errors), no query, no fragment (they would end up in the middle of
    every request's URL, or cut it off).

    Raises:
        ConfigurationError: what is wrong, naming ``name``; the URL is
            quoted only when it holds no user information.
    """
    if not isinstance(raw, str):
        raise ConfigurationError(f"{name} must be a string, got {type(raw).__name__}")
    shown = repr(raw) if "@" not in raw else "(not shown: it holds user information)"
    if _CONTROL_OR_SPACE.search(raw):
        raise ConfigurationError(f"{name} contains whitespace or a control character: {shown}")
    try:
        url = URL(raw)
        port = url.port
    except ValueError:
        raise ConfigurationError(f"{name} is not a valid URL: {shown}") from None
    if url.user is not None or url.password is not None:
        raise ConfigurationError(
            f"{name} must not contain a user name or password; pass credentials as "
            "api_token, api_key or user_service_key"
        )
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(
            f"{name} must be an absolute http:// or https:// URL with a host, "
            f"such as 'https://api.cloudflare.com/client/v4', got {shown}"
        )
    if "?" in raw or "#" in raw:
        raise ConfigurationError(f"{name} must not contain a query or a fragment: {shown}")
    del port  # checked above: yarl raises on an invalid port only when asked for it
    return raw.rstrip("/")


def checked_session(session: aiohttp.ClientSession) -> aiohttp.ClientSession:
    """``session``, if its settings cannot change where or what we send.

    What aiohttp lets a request override (``raise_for_status``,
    ``auto_decompress``) is overridden by every request instead.

    Raises:
        ConfigurationError: a session with a ``base_url`` (it would rewrite
            every URL), ``trust_env=True`` (it would send ``~/.netrc`` logins
            and use proxies from the environment), ``auth`` or default
            credential headers (a second credential).
    """
    if not isinstance(session, aiohttp.ClientSession):
        raise ConfigurationError(
            f"session must be an aiohttp.ClientSession, got {type(session).__name__}"
        )
    if getattr(session, "_base_url", None) is not None:
        raise ConfigurationError(
            "session has a base_url, which would rewrite every request's URL: "
            "pass a session without one, and the API root as base_url"
        )
    if session.trust_env:
        raise ConfigurationError(
            "session has trust_env=True, which would send ~/.netrc logins and use proxies "
            "from the environment: pass a session with trust_env=False"
        )
    carried = sorted(name for name in session.headers if name.lower() in _CREDENTIAL_HEADERS)
    if carried:
        raise ConfigurationError(
            f"session sends {', '.join(carried)} with every request, which would add a second "
            "credential: pass credentials to the client, not to the session"
        )
    if getattr(session, "auth", None) is not None:  # gone in aiohttp 4
        raise ConfigurationError(
            "session has auth, which would send a second credential with every request: "
            "pass a session without auth"
        )
    return session


def checked_size(value: int, *, name: str) -> int:
    """``value`` as a positive whole number of bytes.

    Raises:
        ConfigurationError: ``value`` is not a positive int.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{name} must be a positive whole number of bytes, got {value!r}")
    return value
