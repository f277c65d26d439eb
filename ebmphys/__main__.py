"""``python -m ebmphys`` runs the ``ebmphys`` command."""

import sys

from ebmphys.cli import main

sys.exit(main())
