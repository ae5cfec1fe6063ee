"""Logical replication's sending side: the pgoutput protocol and the walsender's commands
(slots, START_REPLICATION). The data directory's slots are pgsvc.cluster.slots."""
