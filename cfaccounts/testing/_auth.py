"""Who is calling: the sandbox's own credential, or an account-owned token's secret."""

from __future__ import annotations

from datetime import UTC, datetime

from multidict import CIMultiDictProxy

from ._errors import SandboxError, invalid_key, invalid_token, missing_credentials
from ._records import Identity, timestamp
from ._store import Store

# The id and name the sandbox reports for its own token; neither is a secret.
SANDBOX_TOKEN_ID = "5a2dbc0f1e2d4b6c8a9b0c1d2e3f4a5b"  # noqa: S105
SANDBOX_TOKEN_NAME = "cfaccounts sandbox"  # noqa: S105
#: The quota the sandbox's own token and key share: they act as one user.
OWNER_QUOTA = "owner"


class Authenticator:
    """Checks a request's credential headers.

    The sandbox answers to its API token, to its email and global key when
    it has them, and to the secrets of the account-owned tokens it holds
    (which reach only their own account and stop working when rolled,
    expired or disabled).
    """

    def __init__(
        self, store: Store, api_token: str, api_email: str | None, api_key: str | None
    ) -> None:
        self._store = store
        self._api_token = api_token
        self._api_email = api_email
        self._api_key = api_key
        owner = store.owner
        self._token_identity = Identity(
            owner["id"], owner["email"], "api_token", SANDBOX_TOKEN_ID, SANDBOX_TOKEN_NAME
        )
        self._key_identity = Identity(owner["id"], owner["email"], "api_key")

    def identify(self, headers: CIMultiDictProxy[str]) -> tuple[str, Identity]:
        """The quota key and identity of a request, or a 401/403 error.

        The key names the user whose quota the request spends: one for the
        sandbox's own token and key, one per account-owned token (so rolling
        its secret keeps its quota).
        """
        key, identity = self._resolve(headers)
        if identity.account_id is not None and identity.token_id is not None:
            token = self._store.accounts[identity.account_id].tokens[identity.token_id]
            token["last_used_on"] = timestamp(datetime.now(UTC))
        return key, identity

    def quota_key(self, headers: CIMultiDictProxy[str]) -> str | None:
        """The quota key of a request's credential; ``None`` if it would not authenticate."""
        try:
            return self._resolve(headers)[0]
        except SandboxError:
            return None

    def quota_key_of(self, credential: str | None) -> str:
        """The quota key of a credential given as one string (a token, a secret or the key).

        Raises:
            ValueError: the sandbox answers to no such credential.
        """
        if credential is None or credential == self._api_token:
            return OWNER_QUOTA
        if self._api_key is not None and credential == self._api_key:
            return OWNER_QUOTA
        found = self._store.token_by_secret.get(credential)
        if found is None:
            raise ValueError("not a credential this sandbox answers to")
        return _token_quota(found[1])

    def _resolve(self, headers: CIMultiDictProxy[str]) -> tuple[str, Identity]:
        authorization = headers.get("Authorization")
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            if scheme != "Bearer" or not token:
                raise invalid_token()
            if token == self._api_token:
                return OWNER_QUOTA, self._token_identity
            identity = self._account_token(token)
            return _token_quota(str(identity.token_id)), identity
        email, key = headers.get("X-Auth-Email"), headers.get("X-Auth-Key")
        if email is not None or key is not None:
            if self._api_key is None or (email, key) != (self._api_email, self._api_key):
                raise invalid_key()
            return OWNER_QUOTA, self._key_identity
        raise missing_credentials()

    def _account_token(self, secret: str) -> Identity:
        found = self._store.token_by_secret.get(secret)
        if found is None:
            raise invalid_token()
        account_id, token_id = found
        token = self._store.accounts[account_id].tokens[token_id]
        now = timestamp(datetime.now(UTC))
        expires_on, not_before = token.get("expires_on"), token.get("not_before")
        if (
            token["status"] != "active"
            or (expires_on is not None and expires_on <= now)
            or (not_before is not None and not_before > now)
        ):
            raise invalid_token()
        owner = self._store.owner
        return Identity(
            owner["id"], owner["email"], "api_token", token_id, token["name"], account_id
        )


def _token_quota(token_id: str) -> str:
    return f"token:{token_id}"
