"""``cc-guard install`` and ``cc-guard uninstall``."""

from __future__ import annotations

from pathlib import Path

import click

from cc_guard.commands.errors import UserError

SCOPE_HELP = (
    "Which settings file: user ($CLAUDE_CONFIG_DIR/settings.json), project "
    "(.claude/settings.json) or local (.claude/settings.local.json) of the git work tree."
)


@click.command("install")
@click.option(
    "--scope", type=click.Choice(["user", "project", "local"]), default="user", help=SCOPE_HELP
)
@click.option(
    "--statusline/--no-statusline",
    default=True,
    help="Set cc-guard's statusLine (wrapping yours if you have one).",
)
@click.option(
    "--git-hooks/--no-git-hooks",
    default=False,
    help="Also install git hooks in this repo: pre-push, and prepare-commit-msg when "
    "[git] commit_trailer is true.",
)
@click.option("--dry-run", is_flag=True, help="Print the changes as a diff; write nothing.")
def install(scope: str, statusline: bool, git_hooks: bool, dry_run: bool) -> int:
    """Wire cc-guard into Claude Code's hooks (and optionally git's)."""
    from cc_guard.config.load import ConfigError, load_config
    from cc_guard.install import settings
    from cc_guard.install.merge import EVENTS

    cwd = Path.cwd()
    try:
        # The user scope serves every project: only the user's own config applies there.
        config = load_config(None if scope == "user" else settings.project_root(cwd))
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    path = settings.settings_path(scope, cwd)
    if git_hooks:
        _check_repo(cwd)  # before touching settings: all or nothing for a user mistake
    try:
        prefix = settings.command_prefix(scope)
        change = settings.plan_install(
            path,
            prefix,
            statusline=statusline,
            extra_tools=config.checkpoints.extra_tools,
            inherited=settings.inherited_statusline(scope, cwd) if statusline else None,
        )
        if dry_run:
            click.echo(change.diff() or f"{path}: already installed, nothing to change", nl=False)
            if not change.changed:
                click.echo()
        elif change.changed:
            saved = settings.apply_install(change)
            notes = "; ".join([f"hooks for {len(EVENTS)} events", *change.notes])
            click.echo(f"Installed cc-guard into {path} ({notes}).")
            if saved is not None:
                click.echo(f"Previous file saved as {saved}")
        else:
            click.echo(f"Already installed in {path}; nothing changed.")
    except settings.InstallError as exc:
        raise UserError(str(exc)) from None
    if scope == "local":
        note = settings.keep_out_of_git(path, dry_run=dry_run)
        if note:
            click.echo(note[0].upper() + note[1:] + ".")
    for other in settings.installed_elsewhere(scope, cwd):
        click.echo(
            f"Note: cc-guard's hooks are also in {other}; Claude Code would run them twice "
            f"(remove one with cc-guard uninstall --scope ...).",
            err=True,
        )
    if git_hooks:
        return _git_hooks(cwd, install=True, dry_run=dry_run)
    return 0


@click.command("uninstall")
@click.option(
    "--scope", type=click.Choice(["user", "project", "local"]), default="user", help=SCOPE_HELP
)
@click.option("--git-hooks", is_flag=True, help="Also remove cc-guard's git hooks from this repo.")
@click.option("--dry-run", is_flag=True, help="Print the changes as a diff; write nothing.")
def uninstall(scope: str, git_hooks: bool, dry_run: bool) -> int:
    """Remove exactly what install added."""
    from cc_guard.install import settings

    cwd = Path.cwd()
    path = settings.settings_path(scope, cwd)
    if git_hooks:
        _check_repo(cwd)
    try:
        change = settings.plan_uninstall(path)
        if dry_run:
            click.echo(change.diff() or f"{path}: nothing to remove\n", nl=False)
        elif change.changed:
            saved = settings.apply_uninstall(change)
            click.echo(f"Uninstalled cc-guard from {path} ({'; '.join(change.notes)}).")
            if saved is not None:
                click.echo(f"Previous file saved as {saved}")
        else:
            settings.apply_uninstall(change)
            click.echo(f"cc-guard is not installed in {path}; nothing changed.")
    except settings.InstallError as exc:
        raise UserError(str(exc)) from None
    if git_hooks:
        return _git_hooks(cwd, install=False, dry_run=dry_run)
    return 0


def _check_repo(cwd: Path) -> None:
    from cc_guard.install import githooks

    try:
        githooks.hooks_dir(cwd)
    except githooks.GitHookError as exc:
        raise UserError(str(exc)) from None


def _git_hooks(cwd: Path, *, install: bool, dry_run: bool) -> int:
    from cc_guard.install import githooks

    try:
        lines = (
            githooks.install(cwd, dry_run=dry_run)
            if install
            else githooks.uninstall(cwd, dry_run=dry_run)
        )
    except githooks.GitHookError as exc:
        raise UserError(str(exc)) from None
    for line in lines:
        click.echo(line)
    return 0
