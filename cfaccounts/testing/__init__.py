"""An embedded, stateful Cloudflare Accounts API for tests, demos and benchmarks.

>>> from cfaccounts.testing import Sandbox, Fault
>>> async with Sandbox(accounts=2) as sandbox:                    # doctest: +SKIP
...     sandbox.inject(Fault.error(503), "GET /accounts/{account_id}/members")
...     async with sandbox.client() as client:
...         async for member in client.accounts.members.list(account_id=sandbox.account_ids[0]):
...             print(member.email)

It listens on 127.0.0.1 only. ``python -m cfaccounts.testing serve`` runs one
for any HTTP client; pytest users get the ``cloudflare_sandbox`` fixture.
"""

from .._ratelimit import RateLimit
from ._app import ROUTES, Counters
from ._faults import Fault, FaultRule
from ._sandbox import Sandbox

__all__ = ["ROUTES", "Counters", "Fault", "FaultRule", "RateLimit", "Sandbox"]
