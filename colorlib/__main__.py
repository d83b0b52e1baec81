"""`python -m colorlib …` and the `colorkit` command.

Stopping is set up first, before torch is imported: Ctrl-C means "stop (and save the run so far)" even when the
process was started with SIGINT ignored (`cmd &` in a script), and SIGTERM (`kill`) stops the same way. A stop
while torch is still importing exits quietly too."""
import signal
import sys


def _terminate(signum, frame):
    from colorlib.errors import STOPPED_BY

    STOPPED_BY["signal"] = signal.Signals(signum).name
    raise KeyboardInterrupt


def install_stop_signals() -> None:
    """SIGINT raises KeyboardInterrupt (whatever the process inherited); SIGTERM does too, and is recorded."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)


def run() -> None:
    install_stop_signals()
    try:
        from colorlib.app.cli import main
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(main())


if __name__ == "__main__":
    run()
