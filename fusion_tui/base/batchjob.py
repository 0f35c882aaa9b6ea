"""What a batch scheduler's job script tells the supervisor it starts (`--job`).

An executor that submits runs to a batch scheduler writes a job script that translates
its scheduler's own environment into these variables and then `exec`s the supervisor,
so the supervisor knows a job, its attempts and its time limit without knowing which
scheduler runs it. The scheduler's name comes along only for messages.
"""

from __future__ import annotations

JOB_FLAG = "--job"
# Asked of the scheduler before the time limit; the supervisor then stops the run.
WARNING_SIGNAL = "USR1"

SCHEDULER = "FUSION_TUI_JOB_SCHEDULER"  # its name, as messages say it
JOB_ID = "FUSION_TUI_JOB_ID"  # as the scheduler's own tools show it
ATTEMPT = "FUSION_TUI_JOB_ATTEMPT"  # 1, then one more after each requeue
STOP_CAUSES = "FUSION_TUI_JOB_STOP_CAUSES"  # who may stop a job by signal, for messages
# Frozen at submission: the time limit as asked (for messages), in seconds, and how many
# seconds before it the run is stopped.
TIME_LIMIT = "FUSION_TUI_JOB_TIME_LIMIT"
TIME_LIMIT_SECONDS = "FUSION_TUI_JOB_TIME_LIMIT_SECONDS"
WARNING_SECONDS = "FUSION_TUI_JOB_WARNING_SECONDS"
