"""``python -m qase_async``: the ``qase-async`` command line."""

from ._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
