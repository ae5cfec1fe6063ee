"""The execution stage: the runner, the engine of one backend, transactions."""
