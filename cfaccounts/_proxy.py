"""Which HTTP proxy a client sends through: its ``proxy=`` argument, or the environment.

The environment is read explicitly (``HTTP_PROXY``, ``HTTPS_PROXY``,
``NO_PROXY``, lower case too, through :func:`urllib.request.getproxies` and
:func:`urllib.request.proxy_bypass`) and the chosen proxy is passed to aiohttp
per request. aiohttp's own ``trust_env`` is never turned on: it would also
send logins from ``~/.netrc`` to whatever host the base URL names.

Every request of a client goes to its base URL's host, so the choice is made
once, when the client is built. As with curl, a variable without a scheme
(``proxy.example:3128``) names an ``http://`` proxy; ``ALL_PROXY`` (often a
SOCKS proxy, which aiohttp cannot use) is not read.
"""

from __future__ import annotations

import urllib.request
from typing import Literal

from yarl import URL

from ._exceptions import ConfigurationError

ProxySetting = str | URL | Literal[False] | None
"""A proxy URL; ``None`` for the environment's; ``False`` for none at all."""

_SCHEMES = frozenset({"http", "https"})


def resolve_proxy(base_url: str, setting: ProxySetting) -> URL | None:
    """The proxy for requests to ``base_url``, or ``None`` to connect directly.

    Raises:
        ConfigurationError: the proxy URL (given, or from the environment) is
            not an ``http://`` or ``https://`` URL with a host.
    """
    if setting is False:
        return None
    if setting is None:
        target = URL(base_url)
        found = urllib.request.getproxies().get(target.scheme or "")
        if not found or (target.host and urllib.request.proxy_bypass(target.host)):
            return None
        if "://" not in found:  # curl's convention: host:port alone is an http proxy
            found = f"http://{found}"
        return _checked(found, f"the {target.scheme}_proxy environment variable")
    if isinstance(setting, str | URL):
        return _checked(str(setting), "proxy")
    raise TypeError(f"proxy must be a URL, None or False, got {setting!r}")


def _checked(value: str, source: str) -> URL:
    url = URL(value)
    if url.scheme not in _SCHEMES or not url.host:
        # The value may hold a password: name the source and the scheme only.
        raise ConfigurationError(
            f"{source} must be an http:// or https:// URL with a host"
            f" (got a value with scheme {url.scheme or 'none'!r})"
        )
    return url
