"""Mandanten (tenants) and their Organisationseinheiten (org units)."""
