import os
import sys

# `python -m distrust` puts the current folder first on the import path: a scanned project's
# own `http/` or `json/` package would shadow the standard library's, and its code would run.
# The package is imported already; nothing else is meant to come from there.
if sys.path and not sys.flags.safe_path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from distrust.cli import main

sys.exit(main())
