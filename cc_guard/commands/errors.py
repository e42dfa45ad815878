"""Errors a user can cause: shown as one line, exit code 1, never a traceback."""

from __future__ import annotations

from typing import Any

import click


class UserError(click.ClickException):
    """An error the user caused (a bad argument, a missing session, an unusable file)."""

    def show(self, file: Any = None) -> None:
        click.echo(f"cc-guard: {self.format_message()}", err=True)
