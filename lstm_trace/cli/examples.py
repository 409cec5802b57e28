"""lstm-trace examples and example: the bundled scenarios, listed and copied out to edit."""

from __future__ import annotations

import click

from .common import BadInput, emit, friendly, writable


@click.command()
@friendly
def examples() -> None:
    """List the bundled example scenarios; any command takes their names as SCENARIO.

    Examples:

    \b
        lstm-trace examples
        lstm-trace run gomez
        lstm-trace example gomez -o my.yaml

    Exit codes: 0 listed, 3 a bug in lstm-trace.
    """
    from ..scenario import examples as bundled

    found = bundled.names()
    width = max(map(len, found), default=0)
    for name in found:
        click.echo(f"{name:<{width}}  {bundled.title(name)}")


@click.command()
@click.argument("name")
@click.option("-o", "--output", metavar="FILE", help="Write to FILE (default: the screen).")
@friendly
def example(name: str, output: str | None) -> None:
    """Print the bundled example NAME (or write it to FILE), to read or to edit into your own.

    Examples:

    \b
        lstm-trace example gomez -o my.yaml
        lstm-trace example gomez-homework

    Exit codes: 0 written, 2 no such example or an unwritable FILE, 3 a bug in lstm-trace.
    """
    from ..names import did_you_mean
    from ..scenario import examples as bundled

    path = bundled.path_of(name.removesuffix(".yaml"))
    if path is None:
        found = bundled.names()
        raise BadInput(
            f"no bundled example {name!r}{did_you_mean(name, found) or '; the examples are ' + ', '.join(found)}"
        )
    writable(output)
    emit(path.read_text(encoding="utf-8"), output)
