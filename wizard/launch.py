"""Entry point of the ``apim-wizard`` command.

It looks at argv before the program loads: an ``apply`` into a fresh folder gets a key
worker that makes keys during the load (see :mod:`wizard.pki.prefetch`).  Everything
else is :func:`wizard.cli.main`.
"""

from __future__ import annotations

import sys


def main() -> int:
    from .pki.prefetch import prefetch_for, release_prefetch

    prefetch_for(sys.argv[1:])
    try:
        from .cli import main as cli_main

        return cli_main()
    finally:
        release_prefetch()  # unclaimed: the command stopped before it built anything


if __name__ == "__main__":
    sys.exit(main())
