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
5. One trailing newline (``\n`` or ``\r\n``, as a token read from a file
   ends) is dropped; any other control character is an error naming where
   the value came from, never the value: it could not go in a header.

Every value is held as a :class:`~cfaccounts._secrets.Secret` from the start,
so no repr (nor a traceback's locals) shows it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Literal

import attrs

from ._exceptions import CredentialsError
from ._secrets import Redactor, Secret

CredentialKind = Literal["api_token", "api_key", "user_service_key"]

ENV_TOKEN = "CLOUDFLARE_API_TOKEN"  # noqa: S105 - a variable name, not a secret
ENV_KEY = "CLOUDFLARE_API_KEY"
ENV_EMAIL = "CLOUDFLARE_EMAIL"
ENV_SERVICE_KEY = "CLOUDFLARE_API_USER_SERVICE_KEY"


@attrs.frozen(repr=False)
class Credentials:
    """A resolved credential: its kind, the headers that carry it, and its redactor.

    Its repr shows the kind only, never a secret; the header values are
    :class:`~cfaccounts._secrets.Secret`\\ s.
    """

    kind: CredentialKind
    headers: Mapping[str, str]
    #: Replaces this credential's secrets in texts shown to users.
    redact: Redactor

    def __repr__(self) -> str:
        return f"<Credentials {self.kind}>"

    @property
    def fingerprint(self) -> str:
        """A stable name for this credential that does not reveal it (SHA-256, 16 hex digits).

        Names the credential's count in a shared store (one count per user).
        """
        material = "\0".join(f"{name}:{value}" for name, value in sorted(self.headers.items()))
        return hashlib.sha256(material.encode()).hexdigest()[:16]


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _given(value: str | None, name: str) -> Secret | None:
    """``value`` as a Secret, ``None`` if empty; one trailing newline dropped.

    Raises:
        CredentialsError: ``value`` is not a str, or holds a control character.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise CredentialsError(f"{name} must be a str, got {type(value).__name__}")
    if value.endswith("\n"):
        value = Secret(value[:-2] if value.endswith("\r\n") else value[:-1])
    if _CONTROL.search(value):
        raise CredentialsError(
            f"{name} contains a control character (only one trailing newline is dropped)"
        )
    return Secret(value) if value else None


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
        headers: dict[str, str] = {"Authorization": Secret(f"Bearer {token}")}
        return Credentials("api_token", headers, Redactor([token]))
    if key:
        if not email:
            raise CredentialsError(f"{names['key']} is set without {names['email']}")
        headers = {"X-Auth-Email": email, "X-Auth-Key": key}
        return Credentials("api_key", headers, Redactor([key]))
    if service_key:
        headers = {"X-Auth-User-Service-Key": service_key}
        return Credentials("user_service_key", headers, Redactor([service_key]))
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


def environment_credentials(environ: Mapping[str, str]) -> dict[str, str]:
    """The credential variables of ``environ``, as Secrets.

    Only these are passed on: a frame holding ``os.environ`` itself would
    show every variable in a traceback with locals.
    """
    return {name: Secret(environ[name]) for name in _ENV_NAMES.values() if name in environ}


def resolve_credentials(
    *,
    api_token: str | None,
    api_key: str | None,
    api_email: str | None,
    user_service_key: str | None,
    environ: Mapping[str, str],
) -> Credentials:
    """Resolve the constructor's credential arguments against ``environ``.

    ``environ`` holds the credential variables only
    (:func:`environment_credentials`).

    Raises:
        CredentialsError: per the module's rules.
    """
    env_email = _given(environ.get(ENV_EMAIL), ENV_EMAIL)
    email = _given(api_email, "api_email")
    explicit = _from_level(
        _given(api_token, "api_token"),
        _given(api_key, "api_key"),
        email or env_email,
        _given(user_service_key, "user_service_key"),
        _ARGUMENT_NAMES,
    )
    if explicit is not None:
        return explicit
    if email:
        # An email argument alone pairs with a key from the environment.
        env_email = email
    from_env = _from_level(
        _given(environ.get(ENV_TOKEN), ENV_TOKEN),
        _given(environ.get(ENV_KEY), ENV_KEY),
        env_email,
        _given(environ.get(ENV_SERVICE_KEY), ENV_SERVICE_KEY),
        _ENV_NAMES,
    )
    if from_env is not None:
        return from_env
    raise CredentialsError(
        "no credentials: pass api_token (or api_key with api_email, or user_service_key), "
        f"or set {ENV_TOKEN} (or {ENV_KEY} with {ENV_EMAIL}, or {ENV_SERVICE_KEY})"
    )
