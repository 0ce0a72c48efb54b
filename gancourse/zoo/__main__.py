"""``python -m gancourse.zoo``: see :mod:`gancourse.zoo.cli`."""

from gancourse.zoo.cli import main

raise SystemExit(main())
