"""Real servers for the test suite: PostgreSQL and an S3 server, started when missing."""
