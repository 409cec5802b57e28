"""Benchmarks for issues 6 and 20: startup, first use, the worked example, a big trace against a plain
numpy loop and the arithmetic floor (floors.py), the other cells against theirs (cells.py), check of 10,000
answers, gradcheck at scale, scaling in T and H.

    python benchmarks/run.py            # everything (a few minutes)
    python benchmarks/run.py --quick    # fewer repeats, smaller scaling table
    python benchmarks/run.py --trace    # only the numeric trace against PyTorch, the plain loop, the arithmetic
    python benchmarks/run.py --cells    # only the GRU, the RNN, stacked and bidirectional LSTMs against theirs

Wall times are medians of cold runs in fresh processes (the way a student runs the tool),
with the package byte-compiled (as pip installs it) and the cache filled by a first run (the
cost of a first run is shown too); the numeric trace is timed in-process against PyTorch's
nn.LSTM (float64, one thread).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import compiled
from cells import cells_against_floors, versus_torch
from floors import gflops, trace_flops

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def wall(cmd: list[str], repeats: int) -> float:
    """Median wall time of a command, output discarded."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        if r.returncode not in (0, 1):  # check exits 1 when an answer is wrong, as on the homework sheet
            raise SystemExit(f"{' '.join(cmd)} failed with exit code {r.returncode}")
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def peak_mb(cmd: list[str]) -> float:
    """Peak resident memory of a command, from /usr/bin/time (MB)."""
    r = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True, check=True, cwd=ROOT)
    return int(r.stderr.strip().splitlines()[-1]) / 1024


def tool(*args: str) -> list[str]:
    return [PY, "-m", "lstm_trace", *args]


def scenario(path: Path, D: int, H: int, T: int, *options: str) -> Path:  # noqa: N803
    subprocess.run(
        tool(
            "new", "--input", str(D), "--hidden", str(H), "--length", str(T), "--seed", "9", *options, "-o", str(path)
        ),
        check=True,
    )
    return path


def numeric(path: Path, repeats: int) -> float:
    """The numeric trace (forward, backward, gradients, update, every intermediate), warm."""
    from lstm_trace import load_scenario, trace

    sc = load_scenario(path)
    trace(sc)
    return min(_time(lambda: trace(sc)) for _ in range(repeats))


def _time(fn) -> float:  # noqa: ANN001
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def symbolic_build(path: Path) -> float:
    """Deriving and compiling a scenario's model in a fresh process (models.build: neither the cache nor
    the shipped models): it does not depend on H or T."""
    code = (
        "import sys, time; "
        "import lstm_trace.symbolic.derive, lstm_trace.symbolic.bounds, lstm_trace.symbolic.printing; "
        "from lstm_trace import load_scenario; from lstm_trace.numeric.models import build, variant_of; "
        "sc = load_scenario(sys.argv[1]); t = time.perf_counter(); build(variant_of(sc)); "
        "print(time.perf_counter() - t)"
    )
    runs = [subprocess.run([PY, "-c", code, str(path)], capture_output=True, text=True, check=True) for _ in range(3)]
    return statistics.median(float(r.stdout) for r in runs)


def in_process(path: Path) -> str:
    """Where a big run's time goes: reading, tracing, printing the rows, writing JSON."""
    code = """
import io, sys, time
from lstm_trace import load_scenario, trace
from lstm_trace.render.jsonout import json_chunks, streamed_groups
from lstm_trace.render.text import MAX_ITEMS, Style
t0 = time.perf_counter(); sc = load_scenario(sys.argv[1]); t1 = time.perf_counter()
tr = trace(sc); t2 = time.perf_counter()
for piece in json_chunks(tr, streamed_groups(tr, None, None, None, MAX_ITEMS, Style, 4)): io.StringIO().write(piece)
t3 = time.perf_counter()
print(f"read {t1 - t0:.2f} s, trace {t2 - t1:.2f} s, JSON with the equations streamed {t3 - t2:.2f} s")
"""
    return subprocess.run([PY, "-c", code, str(path)], capture_output=True, text=True, check=True).stdout.strip()


def long_sequences(tmp: Path, quick: bool) -> None:
    """run --format json at D=64, H=128 and growing T: peak memory flat (<= 300 MB at T=8192), time linear."""
    lengths = (2048, 8192) if quick else (1024, 2048, 4096, 8192)
    print(f"\n{'T':>6} {'wall':>8} {'per step':>9} {'peak':>8}   (run --format json, D=64 H=128; goal peak <= 300 MB)")
    for T in lengths:  # noqa: N806
        path = scenario(tmp / f"long{T}.yaml", 64, 128, T)
        cmd = tool("run", str(path), "--format", "json", "-o", str(tmp / "long.json"))
        wall(cmd, 1)  # the scenario's cache filled, as a second run finds it
        w, mem = wall(cmd, 1), peak_mb(cmd)
        print(f"{T:6} {w:7.1f}s {w / T * 1e3:7.2f}ms {mem:6.0f}MB")


def answers_file(path: Path, out: Path, n: int) -> Path:
    """n answers to a scenario, in its template's order: the trace's own values to 4 decimals, one in 500
    wrong (a sign flipped or the point moved), as a student who worked the whole sheet writes them."""
    import re

    import numpy as np

    from lstm_trace import load_scenario, trace

    sheet = subprocess.run(tool("template", str(path)), capture_output=True, text=True, check=True).stdout
    names = re.findall(r"^([A-Za-z][\w-]*):", sheet, re.M)[:n]
    values = trace(load_scenario(path)).values
    lines = []
    for k, name in enumerate(names):
        v = np.round(np.asarray(values[name], dtype=np.float64), 4) + 0.0
        v = v if k % 500 != 250 else -v if k % 1000 == 250 else v * 10
        lines.append(f"{name}: {v.tolist()!r}")
    out.write_text("\n".join(lines) + "\n")
    return out


def per_answer(path: Path, sheet: Path, repeats: int) -> float:
    """Grading's cost per answer (reading the file and grading), in-process, the best of repeats."""
    from lstm_trace import grade, load_answers, load_scenario, trace

    tr = trace(load_scenario(path))
    n = len(load_answers(sheet))
    return min(_time(lambda: grade(tr, load_answers(sheet))) for _ in range(repeats)) / n


def checking(tmp: Path, quick: bool) -> None:
    """check of 10,000 answers, the whole command, both formats (goal: under 5 s), and grading linear in
    the answers (the cost per answer at 10,000 at most 1.5x that at 500)."""
    print("(check: a scenario of D=4 H=8 T=720, 14 quantities a step: 10,080 to answer)")
    path = scenario(tmp / "answered.yaml", 4, 8, 720)
    small, big = answers_file(path, tmp / "a500.yaml", 500), answers_file(path, tmp / "a10000.yaml", 10_000)
    wall(tool("check", str(path), str(small)), 1)  # the scenario's cache filled
    for label, extra in (("--format json", ["--format", "json"]), ("(tables, into a file)", [])):
        w = wall(tool("check", str(path), str(big), *extra), 1 if quick else 3)
        label = f"lstm-trace check 10,000 answers {label}"
        print(f"{label:58} {w:6.2f}s {'':7}  < 5 s")
    few, many = per_answer(path, small, 3), per_answer(path, big, 1 if quick else 2)
    print(
        f"grading per answer: {few * 1e3:.2f} ms at 500 answers, {many * 1e3:.2f} ms at 10,000; "
        f"ratio {many / few:.2f}x (<= 1.5x)"
    )


def threads() -> str:
    """How many threads the BLAS may use, as the environment says (numpy's default: one per core)."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var):
            return f"{var}={os.environ[var]}"
    return f"default ({os.cpu_count()})"


def against_floors(big: Path, repeats: int) -> None:
    """The numeric trace against PyTorch, the plain numpy loop and the arithmetic (issue 20's goals)."""
    before = gflops()  # the core's rate before and after the timings, the higher taken: a busy machine lowers it
    ours, theirs, loop, tuned, read, products = versus_torch(big, 64, 128, 512, repeats)
    vs = f"PyTorch nn.LSTM fwd+bwd float64 1 thread {theirs * 1000:.0f} ms" if theirs else "PyTorch not installed"
    print(f"numeric trace, D=64 H=128 T=512: {ours * 1000:.0f} ms; {vs}")
    rate, work = max(before, gflops()), trace_flops(64, 128, 512)
    floor = work / rate / 1e9
    print(
        f"plain numpy BPTT loop, every intermediate kept: {loop * 1000:.0f} ms; "
        f"trace/loop {ours / loop:.2f}x (<= 1.5x); the trace with its rows then read {read / loop:.2f}x\n"
        f"arithmetic: {work / 1e9:.2f} GFLOP at {rate:.0f} GFLOP/s (512x512 float64 product) = "
        f"{floor * 1e3:.1f} ms; trace/floor {ours / floor:.1f}x (<= 4x); BLAS threads: {threads()}\n"
        f"the loop tuned (in place, forward-only factors first; names nothing): {tuned * 1000:.0f} ms, "
        f"{tuned / floor:.1f}x the floor; the plain loop {loop / floor:.1f}x\n"
        f"the recurrence's 2T matrix-vector products alone (U·out_t-1, U^T·dgates_t; any loop over the steps makes "
        f"them): {products * 1000:.0f} ms, {products / floor:.1f}x the floor; the trace {ours / products:.1f}x them"
    )
    from lstm_trace import load_scenario, trace

    print(compiled.against(trace(load_scenario(big)), floor, repeats))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--trace", action="store_true", help="only the numeric trace against its floors (seconds)")
    ap.add_argument("--cells", action="store_true", help="only the other cells and layouts against theirs (a minute)")
    args = ap.parse_args()
    quick = args.quick
    n = 3 if quick else 5
    tmp = Path(tempfile.mkdtemp())
    if args.trace:  # the big scenario's model derived once into a cache of its own, then timed in-process
        os.environ["LSTM_TRACE_CACHE_DIR"] = str(tmp / "model-cache")
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
        against_floors(scenario(tmp / "big.yaml", 64, 128, 512), 25)
        return
    if args.cells:
        os.environ["LSTM_TRACE_CACHE_DIR"] = str(tmp / "model-cache")
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
        cells_against_floors(tmp, 15, scenario)
        return
    os.environ["LSTM_TRACE_CACHE_DIR"] = str(tmp / "model-cache")  # starts empty: the first run fills it
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "lstm_trace")], check=True, stdout=subprocess.DEVNULL)
    gomez = str(ROOT / "scenarios" / "gomez.yaml")
    click_floor = wall([PY, "-c", "import click"], 4 * n)  # fast commands: more runs, steadier medians
    floor = wall([PY, "-c", "import numpy, sympy, rich, click, yaml"], n)
    pydantic = wall([PY, "-c", "import numpy, sympy, rich, click, yaml, lstm_trace.scenario.schema"], n) - floor
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"floor: import click {click_floor:.2f} s; import numpy, sympy, rich, click, yaml {floor:.2f} s")
    print(f"(pydantic and the scenario schema's models, not in the floor: {pydantic:.2f} s)\n")
    first = wall(tool("run", gomez), 1)
    print(f"{'command':58} {'wall':>7} {'ratio':>7}  goal")
    label = "lstm-trace run scenarios/gomez.yaml, first use (no cache)"
    print(f"{label:58} {first:6.2f}s {first / floor:6.2f}x  <= 1.5x (shipped model)")
    fresh = tmp / "fresh.yaml"  # a scenario never read before (its variant's model is cached)
    fresh.write_bytes((ROOT / "scenarios" / "gomez.yaml").read_bytes())
    once = wall(tool("template", str(fresh)), 1)
    label = "lstm-trace template, a scenario never read before"
    print(f"{label:58} {once:6.2f}s {once / click_floor:6.2f}x")
    for label, cmd, base, goal in [
        ("lstm-trace --help", tool("--help"), click_floor, 1.5),
        ("lstm-trace check --help", tool("check", "--help"), click_floor, 1.5),
        ("lstm-trace template scenarios/gomez.yaml", tool("template", gomez), click_floor, 1.5),
        ("lstm-trace run scenarios/gomez.yaml", tool("run", gomez), floor, 1.3),
        (
            "lstm-trace check scenarios/gomez-homework.yaml",
            tool("check", gomez.replace("gomez", "gomez-homework")),
            floor,
            1.0,
        ),
    ]:
        w = wall(cmd, 4 * n if base is click_floor else n)
        print(f"{label:58} {w:6.2f}s {w / base:6.2f}x  " + (f"<= {goal}x" if goal else ""))
    checking(tmp, quick)
    big = scenario(tmp / "big.yaml", 64, 128, 512)
    again = wall([PY, "-c", "import numpy, sympy, rich, click, yaml"], n)  # the machine's load changes
    if again < floor:
        print(f"(the floor measured again: {again:.2f} s; the ratios below are against it)")
        floor = again
    w = wall(tool("run", str(big), "--format", "json"), 1 if quick else 3)
    mem = peak_mb(tool("run", str(big), "--format", "json"))
    label = "lstm-trace run big.yaml --format json (D=64 H=128 T=512)"
    print(f"{label:58} {w:6.2f}s {w / floor:6.2f}x  <= 4x; peak {mem:.0f} MB (<= 300)")
    w = wall(tool("run", str(big)), 1 if quick else 3)
    print(f"{'lstm-trace run big.yaml (tables, the ends shown)':58} {w:6.2f}s {w / floor:6.2f}x")
    print(f"  in one process: {in_process(big)}")
    checked = wall(tool("gradcheck", str(big)), 1 if quick else 3)
    print(f"{'lstm-trace gradcheck big.yaml (20 entries of each gradient)':58} {checked:6.2f}s {'':7}  <= 5 s")
    print()
    against_floors(big, 5 * n)
    print()
    cells_against_floors(tmp, 2 * n, scenario)
    long_sequences(tmp, quick)
    small, large = symbolic_build(Path(gomez)), symbolic_build(big)
    print(
        f"symbolic build (derive + compile, no cache), fresh process: H=1 T=2 {small:.2f} s; H=128 T=512 {large:.2f} s"
    )
    print(f"\n{'T':>6} " + " ".join(f"{'H=' + str(h):>10}" for h in (16, 64, 256)) + "   (numeric trace, ms; D=32)")
    for T in (64, 256) if quick else (64, 256, 1024):  # noqa: N806
        cells = []
        for H in (16, 64, 256):  # noqa: N806
            p = scenario(tmp / f"s{T}_{H}.yaml", 32, H, T)
            cells.append(f"{numeric(p, 2) * 1000:10.1f}")
        print(f"{T:6} " + " ".join(cells))


if __name__ == "__main__":
    main()
