"""Helpers shared by the tests and bench/: servers, browsers, signing in, personas and
factories, PostgreSQL and Redis. loopback, server, services and browser import nothing of
Django at module level, so bench/ can use them before settings exist."""
