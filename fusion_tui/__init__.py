"""fusion-tui: launch, watch and manage optical-network simulation runs from a terminal."""

__version__ = "0.1.0"
