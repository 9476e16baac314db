"""``python -m qase_async.testing``: the same as ``qase-async fake-server``."""

import sys

from .._cli import main

if __name__ == "__main__":
    raise SystemExit(main(["fake-server", *sys.argv[1:]]))
