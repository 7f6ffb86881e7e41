"""Single-Akte grants: an org unit reads one Akte outside its own, optionally for a period."""
