"""``python -m local`` starts the local platform (see ``local.cli``)."""

import time

PROCESS_STARTED = time.perf_counter()  # before the imports, which are most of a cold start

import sys  # noqa: E402

from local.cli import main  # noqa: E402

sys.exit(main(started=PROCESS_STARTED))
