"""Benchmarks: `make bench` (or `python -m benchmarks`). Each reports medians over repeated runs."""
