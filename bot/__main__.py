"""`python -m bot`: see bot/cli.py."""

import os
import signal
import sys


def stop_quietly_while_loading() -> None:
    """A service manager may stop the bot while it is still loading (about half a second);
    exit 0 then, as it does once running: python-telegram-bot installs its own SIGTERM
    handler only when it starts, and until then SIGTERM would kill the process. Installed
    before the harness's imports, which are most of that half second."""
    def stop(signum, frame):
        os.write(2, b"factbot: stopped (SIGTERM) before it was running\n")  # print is not safe here
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)


if __name__ == "__main__":
    if "run" in sys.argv[1:]:
        stop_quietly_while_loading()

    from .cli import main

    try:
        sys.exit(main())
    except BrokenPipeError:  # `python -m bot validate | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
