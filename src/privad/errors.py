"""Exceptions privad raises for problems the user can fix."""


class PrivadError(Exception):
    """A user-facing error: the CLI prints its message on one line and exits non-zero."""

    exit_code = 2
