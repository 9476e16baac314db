"""Tests of the Redis-backed shared limiter (need a redis-server; skip, saying why, without)."""
