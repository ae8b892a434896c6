"""Reliability tests (issue 6): chaos, crash/resume, tokens, bad input, limits, SSRF, secrets."""
