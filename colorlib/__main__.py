"""`python -m colorlib …` and the `colorkit` command. Ctrl-C while torch is still importing exits quietly too."""
import sys


def run() -> None:
    try:
        from colorlib.app.cli import main
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(main())


if __name__ == "__main__":
    run()
