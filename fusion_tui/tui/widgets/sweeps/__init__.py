"""Sweeps: status counts and grid cells as text."""
