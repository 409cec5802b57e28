"""`python -m lstm_trace` and the `lstm-trace` command: the CLI, with Ctrl-C during start-up one line, exit 130."""

from __future__ import annotations

import os

# BLAS libraries read these when numpy loads them. A trace is a chain of small products (4H×(D+H)
# by a vector per step), which threads only slow down: at H=512 on 2 shared cores, OpenBLAS's own
# threads made a trace 8× slower (1.67 s against 0.21 s), and some runs took 30 s while the
# threads waited for a core. One thread unless the user chose otherwise (LSTM_TRACE_BLAS_THREADS,
# or the library's own variables).
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


def main() -> None:
    threads = os.environ.get("LSTM_TRACE_BLAS_THREADS", "1")
    for name in BLAS_THREADS:
        os.environ.setdefault(name, threads)
    try:
        from .cli import cli
    except KeyboardInterrupt:  # while the CLI's modules are imported, before click can catch it
        import sys

        print("Interrupted.", file=sys.stderr)
        raise SystemExit(130) from None
    cli(prog_name="lstm-trace")


if __name__ == "__main__":
    main()
