"""Secrets: held in a type that never shows in a repr, and cut out of texts.

A credential is a :class:`Secret`, a ``str`` that is itself on the wire and
``'****'`` in every ``repr``. Containers print their items with ``repr``, so
a dict, a ``CIMultiDict`` of headers, an attrs object or a frame's locals
(``traceback`` with ``capture_locals``, ``pytest -l``, Sentry's frame
variables) that hold one never show it, whoever built the container:
aiohttp keeps header values as given. Every header value the caller gives
(``default_headers``, ``extra_headers``) is held as a Secret too, since any
of them may carry one (``CF-Access-Client-Secret``, say).

Error texts that quote a response are redacted with :class:`Redactor`, before
they are shortened, and a secret cut in two by shortening is masked too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

MASK = "****"


class Secret(str):
    """A secret string: ``str()``, f-strings and the wire give it; ``repr`` gives ``'****'``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(MASK)


def conceal(value: str | None) -> str | None:
    """``value`` as a :class:`Secret` (anything but a non-empty str as it is)."""
    return (
        Secret(value) if isinstance(value, str) and value and type(value) is not Secret else value
    )


def conceal_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """A copy of caller-given ``headers`` whose every value is a :class:`Secret`."""
    if not headers:
        return {}
    return {
        name: Secret(value) if isinstance(value, str) else value for name, value in headers.items()
    }


def conceal_call_headers(kwargs: dict[str, Any]) -> None:
    """Conceal, in place, the ``extra_headers`` of a call's keyword arguments.

    Done where a call enters the SDK, so that no frame of ours, from there
    down, holds the caller's header values as plain strings.
    """
    extra_headers = kwargs.get("extra_headers")
    if isinstance(extra_headers, Mapping):
        kwargs["extra_headers"] = conceal_headers(extra_headers)


class Redactor:
    """Replaces the secrets of one credential in texts shown to users."""

    __slots__ = ("_secrets",)

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = tuple(secret for secret in secrets if secret)

    def __repr__(self) -> str:
        return f"<Redactor of {len(self._secrets)} secrets>"

    def __call__(self, text: str) -> str:
        """``text`` with every secret replaced by ``****``."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def excerpt(self, text: str, limit: int) -> str:
        """``text`` redacted, then cut to ``limit`` characters (``…`` marks a cut).

        Redacting first means no secret is left whole by the cut; the start
        of a secret left at the end of the cut is masked as well.
        """
        text = self(text)
        if len(text) <= limit:
            return text
        kept = text[: limit - 1]
        for secret in self._secrets:
            for length in range(min(len(secret) - 1, len(kept)), 0, -1):
                if kept.endswith(secret[:length]):
                    kept = kept[:-length] + MASK
                    break
        return kept + "…"
