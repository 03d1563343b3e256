from alembic import context

import ombuds_cases.case.records  # noqa: F401  (registers the case records' tables)
from ombuds_cases.models import Base
from ombuds_shared.migrations import run_env

run_env(context, Base.metadata)
