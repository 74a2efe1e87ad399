#!/usr/bin/env python3
"""Entry point: ``python run.py --help``. Same commands as the ``callcenter`` script."""

import sys

from callcenter.cli import main

if __name__ == "__main__":
    sys.exit(main())
