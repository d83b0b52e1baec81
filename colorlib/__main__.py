"""`python -m colorlib …` and the `colorkit` command.

Stopping is set up first, before torch is imported: Ctrl-C means "stop (and save the run so far)" even when the
process was started with SIGINT ignored (`cmd &` in a script), and SIGTERM (`kill`) stops the same way. A stop
that arrives while the command line is still importing (torch, mostly) is held until the import is done and then
exits quietly: a KeyboardInterrupt raised inside torch's import can abort the process, surface as another error, or
leave CPython ending the process by SIGINT whatever exit status is asked for (each seen, 1–3 runs in 30, with a
Ctrl-C 0.6–1.2 s after the start)."""
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
    held: list = []  # stops asked for during the import below, acted on after it

    def hold(signum, frame):
        held.append(signum)

    signal.signal(signal.SIGINT, hold)
    signal.signal(signal.SIGTERM, hold)
    from colorlib.app.cli import main
    from colorlib.errors import EXIT_INTERRUPTED, STOPPED_BY, stop_message

    if not held:
        install_stop_signals()
        sys.exit(main())
    if signal.SIGTERM in held:
        STOPPED_BY["signal"] = signal.SIGTERM.name
    print(stop_message(), file=sys.stderr)
    sys.exit(EXIT_INTERRUPTED)


if __name__ == "__main__":
    run()
