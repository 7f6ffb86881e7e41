"""People and service accounts, their roles, API keys and org-unit memberships."""
