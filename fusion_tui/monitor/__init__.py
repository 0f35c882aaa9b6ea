"""Watching runs from their files: progress events, FUSION log lines, log streaming."""
