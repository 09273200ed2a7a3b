"""After ``os.fork()``: what a child inherits stays the parent's.

A forked child holds copies of its parent's event loops, sessions and
connections, which share their sockets and their epoll set with the parent.
Closing them in the child would take the parent's sockets out of its epoll
set (its loop would stop seeing them) and could end its TLS sessions (a
``close_notify`` written on a connection the parent is using). So the child
never closes what it inherited, and never lets it be collected: it keeps it
here, and its event loops are marked closed in place, which makes every later
attempt of theirs at I/O fail before it touches a shared descriptor.
"""

from __future__ import annotations

import asyncio
import os

#: What this process inherited and must neither close nor collect.
_inherited: list[object] = []
_pid = os.getpid()


def _forked() -> None:
    global _pid  # noqa: PLW0603 - the one value a fork changes
    _pid = os.getpid()


os.register_at_fork(after_in_child=_forked)


def this_process() -> int:
    """``os.getpid()``, without a system call per request."""
    return _pid


def keep_inherited(*objects: object) -> None:
    """Keep ``objects`` (the parent's) alive and untouched in this process."""
    _inherited.extend(objects)


def retire_inherited_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Make an event loop inherited from the parent inert in this process.

    ``loop.close()`` would unregister the loop's own descriptors from the epoll
    set the parent shares (and it refuses a loop the parent was running at the
    fork). Marked closed instead, the loop refuses every callback and I/O, so
    the transports it carries fail before writing, and it is never closed for
    real, not even at exit.
    """
    if isinstance(loop, asyncio.BaseEventLoop):
        loop._closed = True  # type: ignore[attr-defined]  # BaseEventLoop's own flag
    keep_inherited(loop)
