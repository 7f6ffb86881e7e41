"""Akten leaving akte: Schwärzungen, Akteneinsicht/Aktenübersendung exports, xdomea."""
