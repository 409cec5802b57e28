"""The finite-difference check as a table: one row per gradient."""

from __future__ import annotations

import json
from dataclasses import asdict

from rich.table import Table
from rich.text import Text

from ..numeric.gradcheck import Check
from .table import plain
from .text import display_name


def render_gradcheck(checks: tuple[Check, ...], h: float) -> Table:
    table = Table(title=f"Central finite differences, h = {h:g}", title_justify="left", title_style="bold")
    for col in ("gradient", "perturbed", "entries", "max |error|", "max relative", "result"):
        table.add_column(col, no_wrap=True, justify="right" if col.startswith(("max", "entries")) else "left")
    for c in checks:
        table.add_row(
            plain(display_name(c.name)),
            plain(display_name(c.of)),
            str(c.entries),
            f"{c.max_abs:.2e}",
            f"{c.max_rel:.2e}",
            Text("✓ agrees", style="green") if c.ok else Text("✗ differs", style="bold red"),
        )
    return table


def gradcheck_json(checks: tuple[Check, ...], h: float) -> str:
    return json.dumps({"h": h, "ok": all(c.ok for c in checks), "checks": [asdict(c) for c in checks]}, indent=1)
