from alembic import context

from ombuds_referrals.models import Base
from ombuds_shared.migrations import run_env

run_env(context, Base.metadata)
