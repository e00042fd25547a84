"""``python -m pathaudit.simulate --out DIR [--seed N] [--preset NAME]``."""

from pathaudit.simulate._run import main

raise SystemExit(main())
