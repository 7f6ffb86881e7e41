"""Retention (Aufbewahrungsfristen), legal holds and the deletion of case data."""
