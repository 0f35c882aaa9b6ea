"""The comparison, by part: status line, overlay chart, numbers and differing parameters."""
