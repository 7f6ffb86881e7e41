"""Who is calling: bearer tokens, API keys and the caller's effective permissions."""
