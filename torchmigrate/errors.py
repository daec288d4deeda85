"""Errors about the run itself (not one file): the CLI prints them as one line
and exits 2 before (or instead of) touching any file."""

from __future__ import annotations


class RunError(Exception):
    """A problem with the run's arguments or environment: one line, exit 2."""
