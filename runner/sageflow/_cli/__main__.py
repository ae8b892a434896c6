"""``python -m sageflow._cli``: the same command (``python -X importtime -m sageflow._cli ...``
profiles its start-up; without this module that line ran nothing and printed nothing)."""

from __future__ import annotations

import sys

from sageflow._cli import main

if __name__ == "__main__":
    sys.exit(main())
