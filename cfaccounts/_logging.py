"""The ``cfaccounts`` logger, and ``CLOUDFLARE_LOG`` to turn it on.

Log records name the method, URL, status, elapsed time, ``cf-ray`` and retry
decisions. They never carry credentials: those travel in headers, which are
not logged, and error texts are redacted before they are raised.
"""

from __future__ import annotations

import logging
import os

from ._exceptions import ConfigurationError

logger = logging.getLogger("cfaccounts")

ENV_LOG = "CLOUDFLARE_LOG"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}


def configure_from_env() -> None:
    """Honour ``CLOUDFLARE_LOG=debug|info``: set the level and log to stderr.

    Does nothing when the variable is unset or empty, or when the application
    has already given the logger a handler of its own.

    Raises:
        ConfigurationError: the variable names another level (``verbose``,
            ``warn``...): a typo would otherwise silently log nothing.
    """
    value = os.environ.get(ENV_LOG, "").strip().lower()
    if not value:
        return
    level = _LEVELS.get(value)
    if level is None:
        raise ConfigurationError(
            f"{ENV_LOG}={value!r} is not a known level: use {' or '.join(_LEVELS)}, or unset it"
        )
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
