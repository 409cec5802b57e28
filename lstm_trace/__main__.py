"""`python -m lstm_trace` and the `lstm-trace` command: the CLI, with Ctrl-C during start-up one line, exit 130."""

from __future__ import annotations


def main() -> None:
    try:
        from .cli import cli
    except KeyboardInterrupt:  # while the CLI's modules are imported, before click can catch it
        import sys

        print("Interrupted.", file=sys.stderr)
        raise SystemExit(130) from None
    cli(prog_name="lstm-trace")


if __name__ == "__main__":
    main()
