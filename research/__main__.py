"""``python -m research``: see ``research.cli``."""

import sys

from research.cli import main

if __name__ == "__main__":
    sys.exit(main())
