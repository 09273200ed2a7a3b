"""Credentials are resolved once, at construction, and unambiguously."""

from __future__ import annotations

import pytest

from cfaccounts import AsyncCloudflare, CredentialsError


def test_token_argument(monkeypatch: pytest.MonkeyPatch) -> None:
    assert AsyncCloudflare(api_token="t").credential_kind == "api_token"


def test_token_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "t")
    assert AsyncCloudflare().credential_kind == "api_token"


def test_key_and_email_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_KEY", "k")
    monkeypatch.setenv("CLOUDFLARE_EMAIL", "e@example.com")
    assert AsyncCloudflare().credential_kind == "api_key"


def test_service_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_USER_SERVICE_KEY", "s")
    assert AsyncCloudflare().credential_kind == "user_service_key"


def test_arguments_beat_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_KEY", "k")
    monkeypatch.setenv("CLOUDFLARE_EMAIL", "e@example.com")
    assert AsyncCloudflare(api_token="t").credential_kind == "api_token"


def test_key_argument_takes_email_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_EMAIL", "e@example.com")
    assert AsyncCloudflare(api_key="k").credential_kind == "api_key"


def test_email_argument_pairs_with_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_KEY", "k")
    assert AsyncCloudflare(api_email="e@example.com").credential_kind == "api_key"


def test_token_and_key_arguments_name_both() -> None:
    with pytest.raises(CredentialsError, match="both api_token and api_key"):
        AsyncCloudflare(api_token="t", api_key="k", api_email="e@example.com")


def test_token_and_key_in_environment_name_both(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "t")
    monkeypatch.setenv("CLOUDFLARE_API_KEY", "k")
    monkeypatch.setenv("CLOUDFLARE_EMAIL", "e@example.com")
    with pytest.raises(CredentialsError, match="both CLOUDFLARE_API_TOKEN and CLOUDFLARE_API_KEY"):
        AsyncCloudflare()


def test_token_and_service_key_name_both() -> None:
    with pytest.raises(CredentialsError, match="both api_token and user_service_key"):
        AsyncCloudflare(api_token="t", user_service_key="s")


def test_key_without_email() -> None:
    with pytest.raises(CredentialsError, match="api_key is set without api_email"):
        AsyncCloudflare(api_key="k")


def test_env_key_without_email(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_KEY", "k")
    with pytest.raises(
        CredentialsError, match="CLOUDFLARE_API_KEY is set without CLOUDFLARE_EMAIL"
    ):
        AsyncCloudflare()


def test_email_alone_is_not_a_credential() -> None:
    with pytest.raises(CredentialsError, match="no credentials"):
        AsyncCloudflare(api_email="e@example.com")


def test_no_credentials_names_the_environment_variables() -> None:
    with pytest.raises(CredentialsError) as caught:
        AsyncCloudflare()
    for name in (
        "CLOUDFLARE_API_TOKEN",
        "CLOUDFLARE_API_KEY",
        "CLOUDFLARE_EMAIL",
        "CLOUDFLARE_API_USER_SERVICE_KEY",
    ):
        assert name in str(caught.value)


def test_empty_strings_count_as_not_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "t")
    assert AsyncCloudflare(api_token="", api_key="").credential_kind == "api_token"


def test_base_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", "http://127.0.0.1:9/client/v4/")
    assert AsyncCloudflare(api_token="t").base_url == "http://127.0.0.1:9/client/v4"


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_max_retries_must_be_a_whole_number(bad: object) -> None:
    with pytest.raises(ValueError, match="max_retries"):
        AsyncCloudflare(api_token="t", max_retries=bad)  # type: ignore[arg-type]


def test_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match="timeout"):
        AsyncCloudflare(api_token="t", timeout=0)
