"""Which credential a client uses, resolved once and unambiguously.

Rules, checked at construction so that nothing fails later at request time:

1. Arguments given to the constructor beat the environment; the environment
   is read only when no credential argument was given.
2. Within one level, exactly one kind of credential: an API token, a global
   API key with its email, or a user service key. Two kinds is an error that
   names both (the official SDK silently drops the token instead).
3. A key needs its email. The email, not a secret, may come from
   ``CLOUDFLARE_EMAIL`` when the key is an argument.
4. No credential at all is an error that names the environment variables.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Literal

import attrs

from ._exceptions import CredentialsError

CredentialKind = Literal["api_token", "api_key", "user_service_key"]

ENV_TOKEN = "CLOUDFLARE_API_TOKEN"  # noqa: S105 - a variable name, not a secret
ENV_KEY = "CLOUDFLARE_API_KEY"
ENV_EMAIL = "CLOUDFLARE_EMAIL"
ENV_SERVICE_KEY = "CLOUDFLARE_API_USER_SERVICE_KEY"


@attrs.frozen(repr=False)
class Credentials:
    """A resolved credential: its kind, and the headers that carry it.

    Its repr shows the kind only, never a secret.
    """

    kind: CredentialKind
    headers: Mapping[str, str]
    secrets: tuple[str, ...]

    def __repr__(self) -> str:
        return f"<Credentials {self.kind}>"

    @property
    def fingerprint(self) -> str:
        """A stable name for this credential that does not reveal it (SHA-256, 16 hex digits).

        Names the credential's count in a shared store (one count per user).
        """
        digest = hashlib.sha256("\0".join((self.kind, *self.secrets)).encode())
        return digest.hexdigest()[:16]

    def redact(self, text: str) -> str:
        """``text`` with every secret of this credential replaced by ``****``."""
        for secret in self.secrets:
            text = text.replace(secret, "****")
        return text


def _given(value: str | None) -> str | None:
    return value if value else None


def _from_level(
    token: str | None,
    key: str | None,
    email: str | None,
    service_key: str | None,
    names: Mapping[str, str],
) -> Credentials | None:
    kinds = [
        name
        for name, value in (("token", token), ("key", key), ("service_key", service_key))
        if value
    ]
    if len(kinds) > 1:
        both = " and ".join(names[k] for k in kinds)
        raise CredentialsError(f"both {both} are set: give exactly one kind of credential")
    if token:
        return Credentials("api_token", {"Authorization": f"Bearer {token}"}, (token,))
    if key:
        if not email:
            raise CredentialsError(f"{names['key']} is set without {names['email']}")
        headers = {"X-Auth-Email": email, "X-Auth-Key": key}
        return Credentials("api_key", headers, (key,))
    if service_key:
        headers = {"X-Auth-User-Service-Key": service_key}
        return Credentials("user_service_key", headers, (service_key,))
    return None


_ARGUMENT_NAMES = {
    "token": "api_token",
    "key": "api_key",
    "email": "api_email",
    "service_key": "user_service_key",
}
_ENV_NAMES = {
    "token": ENV_TOKEN,
    "key": ENV_KEY,
    "email": ENV_EMAIL,
    "service_key": ENV_SERVICE_KEY,
}


def resolve_credentials(
    *,
    api_token: str | None,
    api_key: str | None,
    api_email: str | None,
    user_service_key: str | None,
    environ: Mapping[str, str],
) -> Credentials:
    """Resolve the constructor's credential arguments against ``environ``.

    Raises:
        CredentialsError: per the module's rules.
    """
    env_email = _given(environ.get(ENV_EMAIL))
    explicit = _from_level(
        _given(api_token),
        _given(api_key),
        _given(api_email) or env_email,
        _given(user_service_key),
        _ARGUMENT_NAMES,
    )
    if explicit is not None:
        return explicit
    if _given(api_email):
        # An email argument alone pairs with a key from the environment.
        env_email = api_email
    from_env = _from_level(
        _given(environ.get(ENV_TOKEN)),
        _given(environ.get(ENV_KEY)),
        env_email,
        _given(environ.get(ENV_SERVICE_KEY)),
        _ENV_NAMES,
    )
    if from_env is not None:
        return from_env
    raise CredentialsError(
        "no credentials: pass api_token (or api_key with api_email, or user_service_key), "
        f"or set {ENV_TOKEN} (or {ENV_KEY} with {ENV_EMAIL}, or {ENV_SERVICE_KEY})"
    )
