"""``python -m wizard``: the same as the ``apim-wizard`` command."""

import sys

from .launch import main

sys.exit(main())
