"""lstm-trace new and schema: random exercises to work by hand; the JSON Schemas of scenario files and traces."""

from __future__ import annotations

from typing import Any

import click

from .common import (
    BadInput,
    cell_option,
    emit,
    friendly,
    output_file,
    stack_options,
    stackable,
    variant_options,
    writable,
)


@click.command()
@click.option("--input", "D", type=click.IntRange(1, 4096), required=True, help="D: inputs per step.")
@click.option("--hidden", "H", type=click.IntRange(1, 4096), required=True, help="H: hidden units.")
@click.option("--length", "T", type=click.IntRange(1, 100_000), required=True, help="T: time steps in the sequence.")
@variant_options
@click.option("--classes", "K", type=click.IntRange(2, 1000), default=3, show_default=True, help="K, for softmax.")
@click.option(
    "--iterations", type=click.IntRange(1, 1000), default=1, show_default=True, help="Training iterations to trace."
)
@stack_options
@click.option("--seed", type=int, required=True, help="The same seed always writes the same scenario.")
@click.option("--decimals", type=click.IntRange(0, 8), default=2, show_default=True, help="Digits of the numbers.")
@click.option("--parts", "with_parts", is_flag=True, help="Add the homework parts (a)-(d), as in the sheet.")
@click.option("--answers", metavar="FILE", help="Also write the answer key to FILE.")
@click.option("-o", "--output", "out_file", metavar="FILE", callback=output_file, help="Write to FILE.")
@friendly
def new(**kw: Any) -> None:
    """Write a random scenario to work by hand: weights and inputs rounded to --decimals.

    Instructors make randomized problem sets with --parts and an answer key (--answers);
    check grades a student's file against the scenario as usual.

    Examples:

    \b
        lstm-trace new --input 2 --hidden 1 --length 2 --seed 7 --parts -o ex7.yaml --answers ex7-key.yaml
        lstm-trace new --input 3 --hidden 2 --length 3 --cell peephole --output-layer softmax --seed 1
        lstm-trace new --input 2 --hidden 2 --length 2 --cell gru --seed 3 --parts -o gru.yaml --answers gru-key.yaml
        lstm-trace new --input 2 --hidden 2 --length 2 --cell rnn --layers 2 --bidirectional --seed 4 -o deep.yaml

    Exit codes: 0 written, 2 unusable options (such as a scenario too big to read back),
    3 a bug in lstm-trace.
    """
    from ..numeric.generate import Spec, estimated_bytes, exercise
    from ..textfile import MAX_BYTES

    stackable(kw["cell"], kw["layers"], kw["bidirectional"])
    writable(kw["out_file"])
    writable(kw["answers"], kw["out_file"])
    spec = Spec(
        kw["D"], kw["H"], kw["T"], kw["seed"], kw["cell"], kw["head"], kw["K"], kw["optimizer"], 0.1,
        kw["bias"], kw["decimals"], kw["iterations"],
        cell_option(kw["cell"], reset=kw["reset"], activation=kw["activation"]), kw["layers"], kw["bidirectional"],
    )  # fmt: skip
    size = estimated_bytes(spec)
    if size > MAX_BYTES:
        network = f", {spec.layers} layers" * (spec.layers > 1) + ", bidirectional" * spec.bidirectional
        raise BadInput(
            f"a scenario of D={spec.D}, H={spec.H}, T={spec.T}{network} would be about {size / 2**20:.0f} MiB, over "
            f"the {MAX_BYTES / 2**20:.0f} MiB that run and check read; make --input, --hidden or --length smaller"
            + (" or use fewer --layers" if spec.layers > 1 else "")
        )
    text, key = exercise(spec, parts=kw["with_parts"], key=bool(kw["answers"]))
    if key is not None:
        header = f"# Answer key for {kw['out_file'] or 'the scenario'} (lstm-trace new --seed {spec.seed})\n"
        emit(header + key, kw["answers"])
    emit(text, kw["out_file"])


@click.command()
@click.argument("document", type=click.Choice(["scenario", "trace"]), default="scenario")
@friendly
def schema(document: str) -> None:
    """Print a JSON Schema: of scenario files (for editors to validate against), or of
    the trace that run --format json writes (for programs that read it).

    Examples:

    \b
        lstm-trace schema > lstm-trace.schema.json
        lstm-trace schema trace > lstm-trace-trace.schema.json

    Exit codes: 0 printed, 3 a bug in lstm-trace.
    """
    import json

    if document == "trace":
        from ..render.jsonout import SCHEMA

        click.echo(json.dumps(SCHEMA, indent=2))
        return
    from ..scenario.sourceschema import json_schema

    click.echo(json.dumps(json_schema(), indent=2))
