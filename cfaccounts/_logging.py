"""The ``cfaccounts`` logger, and ``CLOUDFLARE_LOG`` to turn it on.

Log records name the method, URL, status, elapsed time, ``cf-ray`` and retry
decisions. They never carry credentials: those travel in headers, which are
not logged, and error texts are redacted before they are raised.
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger("cfaccounts")

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}


def configure_from_env() -> None:
    """Honour ``CLOUDFLARE_LOG=debug|info``: set the level and log to stderr.

    Does nothing when the variable is unset, or when the application has
    already given the logger a handler of its own.
    """
    level = _LEVELS.get(os.environ.get("CLOUDFLARE_LOG", "").strip().lower())
    if level is None:
        return
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
