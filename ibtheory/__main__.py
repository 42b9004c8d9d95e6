"""``python -m ibtheory``: the same command line as the ``ibtheory`` console script."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
