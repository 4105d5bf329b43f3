"""`python -m cxdash`: the command line."""

from cxdash.cli import main

raise SystemExit(main())
