"""Command-line entry point: ``python -m normcourse``."""

import sys


def main(argv: list[str] | None = None) -> int:
    """Run the normcourse command line."""
    args = sys.argv[1:] if argv is None else argv
    print("normcourse", *args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
