"""Dokumente: logical documents in an Akte, each with one or more file versions."""
