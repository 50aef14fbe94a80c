"""The municipality's central system: the outbox and the sync (config, access list, heartbeat)."""
