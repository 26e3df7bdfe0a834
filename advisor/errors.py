"""Errors the CLI turns into a one-line message and a non-zero exit code (never a traceback)."""


class AdvisorError(Exception):
    """Base class: something the user can fix. ``exit_code`` is what the CLI returns."""

    exit_code = 1


class UsageError(AdvisorError):
    """Bad input: an unknown field, a wrong value, an unreadable or malformed file."""

    exit_code = 2


class DataError(UsageError):
    """A data file that cannot be used; the message names the file and line."""
