from alembic import context

import ombuds_cases.case.records
import ombuds_cases.disclosures.models
import ombuds_cases.inforeq.models
import ombuds_cases.privacy.models
import ombuds_cases.queue.models
import ombuds_cases.referrals.models
import ombuds_cases.retention.archive_record
import ombuds_cases.retention.models
import ombuds_cases.staff.models  # noqa: F401  (registers the staff tables)
from ombuds_cases.audit import models as audit_models  # noqa: F401  (registers its tables)
from ombuds_cases.models import Base
from ombuds_shared.migrations import run_env

run_env(context, Base.metadata)
