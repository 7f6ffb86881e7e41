"""Turning bytes into stored, text-bearing documents: processing, OCR, uploads, deliveries."""
