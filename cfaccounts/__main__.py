"""``python -m cfaccounts``: the command line, as the ``cfaccounts`` script runs it."""

from .cli import main

main(prog_name="cfaccounts")
