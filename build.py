#!/usr/bin/env python3
"""``python build.py``: octavo's command line, runnable from a checkout (same as ``octavo``)."""

from octavo.cli import main

if __name__ == "__main__":
    main()
