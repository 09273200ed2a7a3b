"""Every public exception pickles and copies, attributes kept, secrets still redacted."""

from __future__ import annotations

import copy
import inspect
import pickle
from collections.abc import Callable
from typing import Any

import pytest

import cfaccounts
from cfaccounts import APIStatusError, CloudflareError
from cfaccounts._converter import converter
from cfaccounts._response import RawResponse, decode_response
from cfaccounts._secrets import Redactor
from cfaccounts.models import TokenCreateResponse, TokenValue
from cfaccounts.models.envelope import ResponseInfo

from .conftest import TOKEN, reference

EXCEPTIONS = sorted(
    (
        value
        for value in vars(cfaccounts).values()
        if isinstance(value, type) and issubclass(value, BaseException)
    ),
    key=lambda cls: cls.__name__,
)
#: A value for each keyword argument an exception's __init__ may take.
ARGUMENTS: dict[str, Any] = {
    "method": "GET",
    "url": "https://api.cloudflare.com/client/v4/accounts/a",
    "status_code": 404,
    "errors": [ResponseInfo(code=7003, message="No route", source={"pointer": "/x"})],
    "messages": [ResponseInfo(message="note")],
    "ray_id": "ray-1",
    "retry_after": 1.5,
    "reached_server": False,
    "retryable": False,
    "attempts": 3,
    "deadline": 5.0,
    "waiting_for": "the rate limiter",
    "seconds_left": 120.0,
}
#: An error answer that echoes the token (a module constant: the guard
#: renders this file's frames, and a local would hold the secret).
ECHOED = (
    b'{"success": false, "errors": [{"code": 9109, "message": "bad token '
    + TOKEN.encode()
    + b'"}]}'
)
ROUND_TRIPS: dict[str, Callable[[Any], Any]] = {
    "pickle": lambda error: pickle.loads(pickle.dumps(error)),  # noqa: S301 - our own bytes
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
}


def _instance(cls: type[BaseException]) -> BaseException:
    parameters = inspect.signature(cls.__init__).parameters
    kwargs = {name: ARGUMENTS[name] for name in parameters if name in ARGUMENTS}
    return (
        cls("what went wrong", **kwargs) if "message" in parameters or not kwargs else cls(**kwargs)
    )


def test_every_exported_exception_is_covered() -> None:
    assert len(EXCEPTIONS) >= 18
    assert all(issubclass(cls, CloudflareError) for cls in EXCEPTIONS)


@pytest.mark.parametrize("how", list(ROUND_TRIPS))
@pytest.mark.parametrize("cls", EXCEPTIONS, ids=lambda cls: cls.__name__)
def test_an_exception_round_trips_with_its_attributes(cls: type[BaseException], how: str) -> None:
    error = _instance(cls)
    again = ROUND_TRIPS[how](error)
    assert type(again) is cls
    assert again.args == error.args
    assert str(again) == str(error)
    assert vars(again) == vars(error)


@pytest.mark.parametrize("how", list(ROUND_TRIPS))
def test_a_copied_exception_is_still_redacted(how: str) -> None:
    with pytest.raises(APIStatusError) as caught:
        decode_response(
            RawResponse(403, "Forbidden", {}, ECHOED),
            method="GET",
            url="u",
            redact=Redactor([TOKEN]),
        )
    again = ROUND_TRIPS[how](caught.value)
    assert again.errors[0].message == "bad token ****"
    assert TOKEN not in str(again) + repr(vars(again))
    assert TOKEN.encode() not in pickle.dumps(caught.value)


@pytest.mark.parametrize("how", list(ROUND_TRIPS))
def test_models_round_trip_and_a_token_secret_stays_hidden(how: str) -> None:
    # Models went with the errors that hold them: their shared empty `extra`
    # was a MappingProxyType, which does not pickle.
    created = converter.structure(
        reference("accounts.tokens.create")["response"]["result"], TokenCreateResponse
    )
    again = ROUND_TRIPS[how](created)
    assert again == created
    assert isinstance(again.value, TokenValue)
    assert "****" in repr(again)
    assert ROUND_TRIPS[how](ResponseInfo()).extra == {}
