"""The full-text index: German analysis, indexing, permission-filtered queries."""
