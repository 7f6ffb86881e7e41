"""Outgoing letters, batches for the print-and-mail provider, and their status."""
