"""Experiments as data: specs, runs, resumable records."""
