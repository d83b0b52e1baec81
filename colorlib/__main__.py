import sys

from colorlib.app.cli import main

sys.exit(main())
