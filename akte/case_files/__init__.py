"""Akten (case files): one per Bedarfsgemeinschaft or person, unique Aktenzeichen per tenant."""
