"""akte: electronic case files (E-Akte) for German jobcenters and social services."""

__version__ = "0.1.0"
