"""The job queue: Huey on SQLite (embedded) or Redis (scale-out), one task that advances a document."""
