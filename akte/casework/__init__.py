"""Casework inside an Akte: Vorgänge, Aktenvermerke (notes) and Wiedervorlagen (follow-ups)."""
