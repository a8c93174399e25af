"""``python -m local`` starts the local platform (see ``local.cli``)."""

import sys

from local.cli import main

sys.exit(main())
