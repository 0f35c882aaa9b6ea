"""Stand-in for FUSION 6.1 (see tests/standin_fusion/README.md)."""
