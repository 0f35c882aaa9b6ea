"""Widgets by area of the app (runs, detail, new_run, comparison, sweeps, log, artifacts),
and the key bar and confirm modal every screen shares."""
