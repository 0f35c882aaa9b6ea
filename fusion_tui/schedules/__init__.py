"""Recurring starts: a template (a run) or a sweep on a cron schedule, started by
`fusion-tui schedule tick` that the user's crontab calls (`schedule install`)."""
