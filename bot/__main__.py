"""`python -m bot`: see bot/cli.py."""

import os
import sys

from .cli import main

try:
    sys.exit(main())
except BrokenPipeError:  # `python -m bot validate | head`: the reader left; not an error
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(0)
