"""The job queue: rows in the database, claimed with ``SELECT … FOR UPDATE SKIP LOCKED``."""
