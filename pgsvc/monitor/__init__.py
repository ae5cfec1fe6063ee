"""Monitoring: `pgsvc status`, `pgsvc top`, `pgsvc ls`, Prometheus metrics.

Outside the process model: these read what the server publishes — the lock file,
the backend registry (shared memory), /proc via psutil, the data directory — and
never connect to the server or signal it. Modules:

    status.py    `pgsvc status`: the data directory asked for, collected and rendered
    identity.py  is this data directory's supervisor running? (lock file + psutil)
    collect.py   one Snapshot: supervisor, backends, auxiliary processes, sizes
    render.py    Snapshot -> human table, JSON (keys in README.md), Prometheus text
    top.py       the live view
    clusters.py  the clusters on this machine
"""
