"""Scenario files, the runner that drives the real window with them, the demo's panel, screenshots."""
