"""Trivial and scripted agents, run in the same harness and sandbox as a model, for comparison."""
