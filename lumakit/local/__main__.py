"""``python -m lumakit.local [--port 8787] ...``: the same as ``lumakit serve``."""

import sys

from .command import serve_main

if __name__ == "__main__":
    sys.exit(serve_main(sys.argv[1:]))
