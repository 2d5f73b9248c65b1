"""Services beside the workflow engine: people and roles. Each owns its transaction and writes an audit event."""
