"""Shared plumbing: settings, database, errors, blob storage, pagination, security."""
