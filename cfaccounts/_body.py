"""Response bodies: read and decompressed within one size bound.

aiohttp would inflate a compressed body without a bound (a 400 KB gzip
answer is 400 MiB once inflated), so every request asks it not to decompress
and the body is inflated here, chunk by chunk, never past ``limit`` bytes:
the bound holds for the bytes received and for the bytes they inflate to.
Only what the client asks for (``Accept-Encoding: gzip, deflate``) is
decoded.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterable

#: What every request accepts, and all that :func:`read_body` decodes.
ACCEPT_ENCODING = "gzip, deflate"
DEFAULT_MAX_RESPONSE_SIZE = 64 * 1024 * 1024
_STEP = 1024 * 1024


class BodyTooLarge(Exception):
    """The body, as received or once decompressed, is larger than the limit."""


class BodyUndecodable(Exception):
    """The body's ``Content-Encoding`` is unknown, or it does not decompress."""


def _decompressor(encoding: str, first: bytes) -> zlib._Decompress | None:
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        # RFC 9110's deflate is zlib-wrapped; some servers send it raw.
        zlib_wrapped = (
            len(first) >= 2 and (first[0] & 0x0F) == 8 and ((first[0] << 8) | first[1]) % 31 == 0
        )
        return zlib.decompressobj(zlib.MAX_WBITS if zlib_wrapped else -zlib.MAX_WBITS)
    raise BodyUndecodable(f"unsupported Content-Encoding {encoding!r}")


async def read_body(
    chunks: AsyncIterable[bytes],
    *,
    content_encoding: str,
    content_length: int | None,
    limit: int,
) -> bytes:
    """The whole body, decompressed, of at most ``limit`` bytes either way.

    Raises:
        BodyTooLarge: past ``limit`` (before reading, if ``content_length``
            says so).
        BodyUndecodable: an unknown encoding, or corrupt or truncated
            compressed data.
    """
    if content_length is not None and content_length > limit:
        raise BodyTooLarge(f"the response declares {content_length} bytes")
    encoding = content_encoding.strip().lower()
    decompressor: zlib._Decompress | None = None
    parts: list[bytes] = []
    received = size = 0
    try:
        async for received_chunk in chunks:
            if not received:
                decompressor = _decompressor(encoding, received_chunk)
            received += len(received_chunk)
            if received > limit:
                raise BodyTooLarge(f"the response is larger than {limit} bytes")
            if decompressor is None:
                parts.append(received_chunk)
                continue
            pending = received_chunk
            while pending:
                # In steps (zlib's output buffer is not freed on the way), and
                # one byte more than the room left: reaching it means too large.
                chunk = decompressor.decompress(pending, min(_STEP, limit - size + 1))
                size += len(chunk)
                if size > limit:
                    raise BodyTooLarge(f"the response inflates to more than {limit} bytes")
                parts.append(chunk)
                pending = decompressor.unconsumed_tail
        if decompressor is not None:
            if not decompressor.eof:
                raise BodyUndecodable(f"the {encoding} data is cut short")
            parts.append(decompressor.flush())
    except zlib.error as exc:
        raise BodyUndecodable(f"the {encoding} data does not decompress: {exc}") from None
    return b"".join(parts)
