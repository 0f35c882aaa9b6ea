"""What the local executor says of itself: no options, no job beyond the run itself."""

from __future__ import annotations

from fusion_tui.executors.description import Description

LOCAL = Description(
    name="local", title="Local",
    text="a detached supervisor on this machine, started from your queue",
    choice="this machine",
)
