"""``python -m kiosk.cli``: the same as the ``library-kiosk`` command."""

import sys

from kiosk.cli.main import main

sys.exit(main())
