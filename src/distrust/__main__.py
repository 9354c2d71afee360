import sys

from distrust.cli import main

sys.exit(main())
