"""The parts of the response envelope that callers see: messages and paging."""

from __future__ import annotations

from typing import Any

import attrs

from ._base import Model


@attrs.frozen(kw_only=True)
class ResponseInfo(Model):
    """One entry of an envelope's ``errors`` or ``messages``."""

    code: int | None = None
    message: str = ""
    documentation_url: str | None = None
    source: Any = None


@attrs.frozen(kw_only=True)
class Cursors(Model):
    """Nested cursor form used by some endpoints: ``result_info.cursors``."""

    after: str | None = None
    before: str | None = None


@attrs.frozen(kw_only=True)
class ResultInfo(Model):
    """``result_info``: where a page sits in a listing."""

    page: int | None = None
    per_page: int | None = None
    count: int | None = None
    total_count: int | None = None
    total_pages: int | None = None
    cursor: str | None = None
    cursors: Cursors | None = None
