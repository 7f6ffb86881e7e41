"""The append-only, hash-chained audit log of every read and write of case data."""
