"""From a sweep to a paper: figures, tables, a provenance appendix and a reproduction
bundle written into one folder (`fusion-tui report`), and the bundle turned back into
the same sweep (`fusion-tui reproduce`)."""
