"""Benchmarks for issue 6's goals: startup, the worked example, a big trace, scaling in T and H.

    python benchmarks/run.py            # everything (a few minutes)
    python benchmarks/run.py --quick    # fewer repeats, smaller scaling table

Wall times are medians of cold runs in fresh processes (the way a student runs the tool);
the numeric trace is timed in-process against PyTorch's nn.LSTM (float64, one thread).
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

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def wall(cmd: list[str], repeats: int) -> float:
    """Median wall time of a command, output discarded."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=ROOT)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def peak_mb(cmd: list[str]) -> float:
    """Peak resident memory of a command, from /usr/bin/time (MB)."""
    r = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True, check=True, cwd=ROOT)
    return int(r.stderr.strip().splitlines()[-1]) / 1024


def tool(*args: str) -> list[str]:
    return [PY, "-m", "lstm_trace", *args]


def scenario(path: Path, D: int, H: int, T: int) -> Path:  # noqa: N803
    subprocess.run(
        tool("new", "--input", str(D), "--hidden", str(H), "--steps", str(T), "--seed", "9", "-o", str(path)),
        check=True,
    )
    return path


def numeric(path: Path, repeats: int) -> float:
    """The numeric trace (forward, backward, gradients, update, every intermediate), warm."""
    from lstm_trace import load_scenario, trace

    sc = load_scenario(path)
    trace(sc)
    return min(_time(lambda: trace(sc)) for _ in range(repeats))


def torch_lstm(D: int, H: int, T: int, repeats: int) -> float | None:  # noqa: N803
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    lstm = torch.nn.LSTM(D, H).double()
    x = torch.randn(T, 1, D, dtype=torch.float64)

    def step() -> None:
        lstm.zero_grad()
        out, _ = lstm(x)
        out.pow(2).sum().backward()

    step()
    return min(_time(step) for _ in range(repeats))


def _time(fn) -> float:  # noqa: ANN001
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def symbolic_build() -> float:
    """Deriving the model in a fresh process: it does not depend on H or T."""
    code = (
        "import time; t = time.perf_counter(); from lstm_trace.cells import lstm; "
        "from lstm_trace.derive import derive; derive(lstm()); print(time.perf_counter() - t)"
    )
    return float(subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True).stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    quick = ap.parse_args().quick
    n = 3 if quick else 5
    tmp = Path(tempfile.mkdtemp())
    gomez = str(ROOT / "scenarios" / "gomez.yaml")
    click_floor = wall([PY, "-c", "import click"], n)
    floor = wall([PY, "-c", "import numpy, sympy, rich, click, yaml"], n)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"floor: import click {click_floor:.2f} s; import numpy, sympy, rich, click, yaml {floor:.2f} s\n")
    print(f"{'command':58} {'wall':>7} {'ratio':>7}  goal")
    for label, cmd, base, goal in [
        ("lstm-trace --help", tool("--help"), click_floor, 1.5),
        ("lstm-trace check --help", tool("check", "--help"), click_floor, 1.5),
        ("lstm-trace template scenarios/gomez.yaml", tool("template", gomez), click_floor, 1.5),
        ("lstm-trace run scenarios/gomez.yaml", tool("run", gomez), floor, 1.3),
    ]:
        w = wall(cmd, n)
        print(f"{label:58} {w:6.2f}s {w / base:6.2f}x  <= {goal}x")
    big = scenario(tmp / "big.yaml", 64, 128, 512)
    w = wall(tool("run", str(big), "--format", "json"), 1 if quick else 3)
    mem = peak_mb(tool("run", str(big), "--format", "json"))
    label = "lstm-trace run big.yaml --format json (D=64 H=128 T=512)"
    print(f"{label:58} {w:6.2f}s {w / floor:6.2f}x  <= 4x; peak {mem:.0f} MB (<= 300)")
    ours, theirs = numeric(big, n), torch_lstm(64, 128, 512, n)
    vs = f"PyTorch nn.LSTM fwd+bwd float64 1 thread {theirs * 1000:.0f} ms" if theirs else "PyTorch not installed"
    print(f"\nnumeric trace, D=64 H=128 T=512: {ours * 1000:.0f} ms; {vs}")
    print(f"symbolic build (derive), fresh process: {symbolic_build():.2f} s, the same for any H and T")
    print(f"\n{'T':>6} " + " ".join(f"{'H=' + str(h):>10}" for h in (16, 64, 256)) + "   (numeric trace, ms; D=32)")
    for T in (64, 256) if quick else (64, 256, 1024):  # noqa: N806
        cells = []
        for H in (16, 64, 256):  # noqa: N806
            p = scenario(tmp / f"s{T}_{H}.yaml", 32, H, T)
            cells.append(f"{numeric(p, 2) * 1000:10.1f}")
        print(f"{T:6} " + " ".join(cells))


if __name__ == "__main__":
    main()
