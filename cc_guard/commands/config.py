"""``cc-guard config show``: the effective configuration and where each value came from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from cc_guard.commands.errors import UserError


@click.group("config", invoke_without_command=True)
@click.pass_context
def config(ctx: click.Context) -> int:
    """Show the effective configuration (user file, project .cc-guard.toml, defaults)."""
    if ctx.invoked_subcommand is None:
        return int(ctx.invoke(show) or 0)
    return 0


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: values and their sources.")
@click.option(
    "--project",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Project directory whose .cc-guard.toml applies (default: the current directory).",
)
def show(as_json: bool, project: Path | None) -> int:
    """Print every config key, its effective value and where it came from."""
    from cc_guard.base.paths import config_file
    from cc_guard.config.load import ConfigError, load_config

    try:
        cfg = load_config(project or Path.cwd())
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    values = cfg.as_dict()
    if as_json:
        data = {
            "user_file": str(config_file()),
            "files": [str(f) for f in cfg.files],
            "values": values,
            "sources": {
                f"{s}.{k}": cfg.source(f"{s}.{k}") for s, keys in values.items() for k in keys
            },
        }
        click.echo(json.dumps(data, indent=2))
        return 0
    click.echo(
        f"# user file: {config_file()}" + ("" if config_file() in cfg.files else " (absent)")
    )
    project_files = [f for f in cfg.files if f != config_file()]
    click.echo(f"# project file: {project_files[0] if project_files else '(none)'}")
    for section, keys in values.items():
        click.echo(f"\n[{section}]")
        for key, value in keys.items():
            click.echo(f"{key} = {_toml(value)}  # {cfg.source(f'{section}.{key}')}")
    return 0


def _toml(value: Any) -> str:
    """A TOML rendering of a config value (so the output can be pasted into a file)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)
