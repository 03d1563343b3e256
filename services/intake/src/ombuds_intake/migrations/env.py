from alembic import context

import ombuds_intake.attachments.models  # noqa: F401  (registers the attachments table)
from ombuds_intake.models import Base
from ombuds_shared.migrations import run_env

run_env(context, Base.metadata)
