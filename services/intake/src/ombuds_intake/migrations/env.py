from alembic import context

from ombuds_intake.models import Base
from ombuds_shared.migrations import run_env

run_env(context, Base.metadata)
