import sys

from ombuds_cases.audit.verify import main

sys.exit(main())
