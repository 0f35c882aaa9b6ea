"""Everything specific to FUSION 6.1 itself: its configuration keys, its set-up, its log
lines and its result folder. Nothing here imports Textual or the store."""
