"""lstm-trace new and schema: random exercises to work by hand; the JSON Schema of scenario files."""

from __future__ import annotations

from typing import Any

import click

from .common import emit, friendly


@click.command()
@click.option("--input", "D", type=click.IntRange(1, 4096), required=True, help="D: inputs per step.")
@click.option("--hidden", "H", type=click.IntRange(1, 4096), required=True, help="H: hidden units.")
@click.option("--steps", "T", type=click.IntRange(1, 100_000), required=True, help="T: sequence length.")
@click.option("--cell", type=click.Choice(["lstm", "peephole"]), default="lstm", show_default=True)
@click.option("--output", "head", type=click.Choice(["none", "softmax"]), default="none", show_default=True)
@click.option("--classes", "K", type=click.IntRange(2, 1000), default=3, show_default=True, help="K, for softmax.")
@click.option("--optimizer", type=click.Choice(["sgd", "adagrad"]), default="sgd", show_default=True)
@click.option("--bias/--no-bias", default=True, show_default=True)
@click.option("--iterations", type=click.IntRange(1, 10_000), default=1, show_default=True)
@click.option("--seed", type=int, required=True, help="The same seed always writes the same scenario.")
@click.option("--decimals", type=click.IntRange(0, 8), default=2, show_default=True, help="Digits of the numbers.")
@click.option("--parts", "with_parts", is_flag=True, help="Add the homework parts (a)-(d), as in the sheet.")
@click.option("--answers", type=click.Path(dir_okay=False, writable=True), help="Also write the answer key here.")
@click.option("-o", "out_file", type=click.Path(dir_okay=False, writable=True), help="Write to a file.")
@friendly
def new(**kw: Any) -> None:
    """Write a random scenario to work by hand: weights and inputs rounded to --decimals.

    Instructors make randomized problem sets with --parts and an answer key (--answers);
    check grades a student's file against the scenario as usual.

    Example:

        lstm-trace new --input 2 --hidden 1 --steps 2 --seed 7 --parts -o ex7.yaml --answers ex7-key.yaml
    """
    from ..numeric.generate import Spec, exercise

    spec = Spec(
        kw["D"], kw["H"], kw["T"], kw["seed"], kw["cell"], kw["head"], kw["K"], kw["optimizer"], 0.1,
        kw["bias"], kw["decimals"], kw["iterations"],
    )  # fmt: skip
    text, key = exercise(spec, parts=kw["with_parts"], key=bool(kw["answers"]))
    if key is not None:
        header = f"# Answer key for {kw['out_file'] or 'the scenario'} (lstm-trace new --seed {spec.seed})\n"
        emit(header + key, kw["answers"])
    emit(text, kw["out_file"])


@click.command()
@friendly
def schema() -> None:
    """Print the JSON Schema of scenario files, for editors to validate against.

    Example:

        lstm-trace schema > lstm-trace.schema.json
    """
    import json

    from ..scenario.schema import json_schema

    click.echo(json.dumps(json_schema(), indent=2))
