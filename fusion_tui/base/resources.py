"""Locate the shipped `data/` and `styles/` folders, installed or in a source checkout.

A wheel carries them inside the package (`fusion_tui/_shipped/`); an editable install or
a plain checkout keeps them at the repository root beside the package.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parents[1]  # fusion_tui/


def _shipped(name: str) -> Path:
    installed = _PACKAGE_DIR / "_shipped" / name
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / name


def data_dir() -> Path:
    """The shipped data folder (templates, topologies)."""
    return _shipped("data")


def styles_dir() -> Path:
    """The shipped Textual stylesheets."""
    return _shipped("styles")


def shipped_templates_dir() -> Path:
    """Templates that come with fusion-tui."""
    return data_dir() / "templates"
