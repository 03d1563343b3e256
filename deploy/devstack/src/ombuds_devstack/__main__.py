"""`python -m ombuds_devstack run`."""

import sys

from ombuds_devstack.run import main

if __name__ == "__main__":
    if sys.argv[1:] not in ([], ["run"]):
        sys.exit("usage: python -m ombuds_devstack [run]")
    main()
