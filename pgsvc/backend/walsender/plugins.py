"""The modules that register walsender command handlers (pgsvc.backend.walsender.dispatch):
importing this module registers them all. One import per plug-in module."""

from pgsvc.backend.walsender import builtin  # noqa: F401  IDENTIFY_SYSTEM, SHOW, TIMELINE_HISTORY
from pgsvc.replication import plugin as _logical  # noqa: F401  CREATE/DROP/READ_REPLICATION_SLOT, START_REPLICATION
from pgsvc.backend.walsender import basebackup  # noqa: F401  BASE_BACKUP
from pgsvc.backend.walsender import physical  # noqa: F401  temporary physical slots, START_REPLICATION PHYSICAL
