"""The root ``alignboard`` group, the consoles, and helpers every command module shares."""

from __future__ import annotations

import click
from rich.console import Console

from harness import __version__
from harness.errors import AlignboardError

out = Console()
err = Console(stderr=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="alignboard")
@click.option("-v", "--verbose", is_flag=True, help="Show the libraries' logs, warnings and loss lines too "
                                                    "(a run otherwise writes them to its run.log).")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """alignboard: train alignment methods under identical conditions and rank them."""
    ctx.obj = {"verbose": verbose}


def verbose() -> bool:
    """``alignboard -v``: the libraries' logs stay on the terminal."""
    return (click.get_current_context().find_root().obj or {}).get("verbose", False)



def parse_sets(pairs: tuple[str, ...]) -> dict:
    """``--set KEY=VALUE`` pairs as a config dict (values read as JSON where they parse)."""
    import json

    config = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise AlignboardError(f"--set expects KEY=VALUE, got {pair!r}")
        try:
            config[key] = json.loads(value)
        except ValueError:
            config[key] = value
    return config
