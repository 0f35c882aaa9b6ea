"""Widgets used by the screens; each owns the messages it sends."""
