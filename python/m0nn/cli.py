"""The `m0nn` command line: one subcommand per job; errors are one line and exit 1."""

from __future__ import annotations

import argparse
import sys


def _cmd_pio_setup(args: argparse.Namespace) -> int:
    from m0nn import piosetup

    for line in piosetup.setup(force_offline=args.offline):
        print(f"m0nn pio-setup: {line}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="m0nn", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("pio-setup", help="provide PlatformIO packages locally when its registry is unreachable")
    p.add_argument("--offline", action="store_true", help="install the local packages even if the registry answers")
    p.set_defaults(func=_cmd_pio_setup)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except Exception as exc:  # noqa: BLE001 - the CLI's contract: one line, no traceback
        from m0nn.errors import M0nnError

        if isinstance(exc, M0nnError | OSError):
            print(f"m0nn {args.command}: error: {exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
