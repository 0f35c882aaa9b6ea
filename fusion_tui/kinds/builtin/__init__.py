"""The built-in simulator (`fusion_tui/sim`, run as its own program, `fusion-tui-sim`)
as a kind of run."""
