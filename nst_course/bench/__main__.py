"""``python -m nst_course.bench``."""

import sys

from . import main

sys.exit(main())
