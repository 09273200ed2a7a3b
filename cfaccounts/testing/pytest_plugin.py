"""The pytest plugin (entry point ``pytest11``): a ``cloudflare_sandbox`` fixture.

::

    async def test_lists_members(cloudflare_sandbox):
        async with cloudflare_sandbox.client() as client:
            page = await client.accounts.members.list(account_id=cloudflare_sandbox.account_ids[0])
            assert page.result

Configure it per test with the ``cloudflare_sandbox`` marker, which takes
:class:`~cfaccounts.testing.Sandbox`'s arguments::

    @pytest.mark.cloudflare_sandbox(accounts=5, rate_limit=RateLimit(10, per=1))
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._sandbox import Sandbox


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "cloudflare_sandbox(**options): arguments for the cloudflare_sandbox fixture's Sandbox",
    )


@pytest.fixture
def cloudflare_sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A running :class:`~cfaccounts.testing.Sandbox`, fresh for each test.

    It serves from a thread of its own, so sync and async tests can use it;
    ``cloudflare_sandbox.client()`` makes a matching ``AsyncCloudflare``.
    """
    marker = request.node.get_closest_marker("cloudflare_sandbox")
    options = marker.kwargs if marker is not None else {}
    with Sandbox(**options) as sandbox:
        yield sandbox
