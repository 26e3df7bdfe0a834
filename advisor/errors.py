"""Errors the CLI turns into a one-line message and a non-zero exit code (never a traceback).

Messages that quote the user's input quote it through ``excerpt`` (a short, printable,
single-line piece of it), and the CLI prints every message through ``error_line``, which
enforces the one-line, ``MAX_ERROR_CHARS`` shape whatever a message holds.
"""

from __future__ import annotations

import re
from typing import Any

# An error line fits a wide terminal line or two; longer ones are cut with a marker.
MAX_ERROR_CHARS = 300
# How much of a bad value a message quotes.
EXCERPT_CHARS = 40
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


class AdvisorError(Exception):
    """Base class: something the user can fix. ``exit_code`` is what the CLI returns."""

    exit_code = 1


class UsageError(AdvisorError):
    """Bad input: an unknown field, a wrong value, an unreadable or malformed file."""

    exit_code = 2


class DataError(UsageError):
    """A data file that cannot be used; the message names the file and line."""


def printable(text: str) -> str:
    """``text`` on one line and encodable: control characters become one space, lone
    surrogates (from a ``\\ud800`` JSON escape) their ``\\udXXX`` escape."""
    text = _CONTROL.sub(" ", text)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def excerpt(value: Any, limit: int = EXCERPT_CHARS) -> str:
    """A short quotable form of a user's value: repr-like, one line, at most ``limit`` chars.

    A huge integer is described by its size: printing one of over 4,300 digits raises in
    Python, and quoting 400 digits helps nobody."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
    try:
        text = repr(value) if isinstance(value, str) else str(value)
    except (ValueError, RecursionError):  # a huge integer or a deep nest inside a container
        text = f"a {type(value).__name__} too large to quote"
    return shorten(text, limit)


def shorten(text: str, limit: int) -> str:
    """``text`` printable on one line, cut to ``limit`` characters (the cut marked)."""
    text = printable(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_line(err: BaseException | str, limit: int = MAX_ERROR_CHARS) -> str:
    """``Error: <message>`` on one line of at most ``limit`` characters."""
    line = "Error: " + " ".join(printable(str(err)).split())
    if len(line) > limit:
        line = line[: limit - 12] + " … (cut)"
    return line
