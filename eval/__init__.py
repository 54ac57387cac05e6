"""Evaluation: the question set, the scorer, and benchmarks."""
