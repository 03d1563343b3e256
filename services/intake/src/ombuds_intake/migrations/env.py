from alembic import context

import ombuds_intake.accounts.models
import ombuds_intake.attachments.models
import ombuds_intake.self_service.models
import ombuds_intake.verification.models  # noqa: F401  (registers the verification codes table)
from ombuds_intake.models import Base
from ombuds_shared.migrations import run_env

run_env(context, Base.metadata)
