"""Build the shipped models: each built-in variant derived once, stored as package data.

    python tools/ship_models.py           # (re)write lstm_trace/models/*.pickle
    python tools/ship_models.py --check   # exit 1 when one is missing, stale or left over

A built-in variant is one a bundled example uses (lstm_trace/examples/*.yaml); each ships its model
and, apart, its slips (symbolic/slipcode.py: what `check` evaluates to name a mistake). Run this
before a release, and whenever tests/test_shipped.py says a shipped model is stale (any edit to symbolic/,
refs.py, names.py, errors.py, cache.py or numeric/models.py, or another sympy, makes them stale;
a stale one is ignored at run time and the model derived as before).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["LSTM_TRACE_CACHE_DIR"] = "off"  # derive from the sources, never from a user's cache

from lstm_trace import cache  # noqa: E402
from lstm_trace.numeric.models import build, builtin_variants, slips_ident  # noqa: E402
from lstm_trace.symbolic.slipcode import build_slips  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only check that every shipped model is current")
    check = ap.parse_args().check
    variants = builtin_variants()
    wanted = {cache.shipped_path(v): v for v in variants}
    wanted.update({cache.shipped_path(slips_ident(v)): slips_ident(v) for v in variants})  # check's slips
    extra = [p for p in cache.SHIPPED.glob("*.pickle") if p not in wanted]
    if check:
        bad = [v for v in wanted.values() if cache.load_shipped(v) is None]
        for v in bad:
            print(f"missing or stale: {v}")
        for p in extra:
            print(f"left over: {p.name}")
        return 1 if bad or extra else 0
    for p in extra:
        p.unlink()
    for v in variants:
        entry = build(v)
        for ident, value in ((v, entry), (slips_ident(v), build_slips(entry[0]))):
            path = cache.ship(ident, value)
            print(f"{path.relative_to(cache.PACKAGE.parent)}  {ident}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
