"""The `redact run` job: shard planning on the driver, shard processing in Ray actors."""
