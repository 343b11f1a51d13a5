import sys

from m0nn.cli import main

sys.exit(main())
