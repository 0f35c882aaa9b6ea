"""Progress, the result folder and errors from what FUSION's 5.5 line prints (it has no
logger and no progress file: plain `print` on stdout, tracebacks on stderr, both in the
run's log). Seen in runs of tag v5.5.1 (V) and `feature/grooming-new` 2db135b2 (B):

    [Process s1] Running Erlang: 300.0...                           (B: a load starts)
    [Engine] thread=s1, offset=0, my_iteration_units=8, erlang=300.0   (both)
    Iteration 1 out of 4 completed for Erlang: 300.0                (first, print_step, last)
    Mean of blocking: 0.0123
    CHILD=s1 iteration=0, done_units=1                              (every iteration; B: CHILD=)
    Confidence interval of 4.78% reached. 6, ending and saving results for Erlang: 300.0
    Simulation finished for Erlang: 300.0 finished for simulation number: s1.
    !!! CRITICAL ERROR in Process s1 !!! / Failed while running Erlang: 300.0   (B)
    Process Process-1: + a traceback                                (V: a worker died)

Its result folder is told by the start lines: V `Starting simulation for thread s1 at
1207_10_52_23_879289.` (results in `<MMDD>/<time>/s1/`), B `Process s1 target output:
output/Unknown/1207/10_52_12_592073` (results flat in `<MMDD>/<time>/`); the event
`output_dir` carries that part of the path, under `data/output/<network>/`.
"""

from __future__ import annotations

import re

from fusion_tui.kinds.formats.loglines import split_line
from fusion_tui.monitor.events import ProgressEvent

_NUM = r"([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
_RUNNING = re.compile(rf"^\[Process \S+\] Running Erlang: {_NUM}")
_ENGINE = re.compile(rf"^\[Engine\] thread=\S*, offset=\d+, my_iteration_units=\d+, "
                     rf"erlang={_NUM}")
_ITERATION = re.compile(rf"^Iteration (\d+) out of (\d+) completed for Erlang: {_NUM}")
_MEAN = re.compile(rf"^Mean of blocking: {_NUM}\s*$")
_CHILD = re.compile(r"^CHILD=\S* iteration=(\d+), done_units=(\d+)")
_CI_REACHED = re.compile(rf"^Confidence interval of {_NUM}% reached\. (\d+), ending and "
                         rf"saving results for Erlang: {_NUM}")
_FINISHED = re.compile(rf"^Simulation finished for Erlang: {_NUM} finished for simulation")
_FAILED = re.compile(rf"^Failed while running Erlang: {_NUM}")
_CRITICAL = re.compile(r"^!!! CRITICAL (ERROR|FAILURE) in Process (\S*) !!!", re.IGNORECASE)
_WORKER_DIED = re.compile(r"^Process \w*Process-\d+:$")  # multiprocessing's own words
_V_START = re.compile(r"^Starting simulation for thread (\S+) at (\d{4})_(\d\d_\d\d_\d\d_\d+)\.")
_B_TARGET = re.compile(r"^Process \S+ target output: \S*?/(\d{4})/(\d\d_\d\d_\d\d_\d+)\s*$")
_TRACEBACK = "Traceback (most recent call last):"
_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit|Warning)\b.*")


class Fusion55LogParser:
    """Turns the 5.5 line's printed lines into progress events; remembers the current
    load."""

    def __init__(self) -> None:
        self.erlang: float | None = None
        self.iteration: int | None = None
        self.total_iterations: int | None = None
        self._in_traceback = False
        self._critical: str | None = None

    def parse(self, line: str) -> ProgressEvent | None:
        _, msg = split_line(line)
        if self._in_traceback:
            if line[:1] in (" ", "\t"):
                return None
            self._in_traceback = False
            if _EXCEPTION.match(msg):
                return ProgressEvent("traceback", message=msg)
        if msg == _TRACEBACK:
            self._in_traceback = True
            return None
        return self._message(msg)

    def _start(self, erlang: float) -> ProgressEvent | None:
        if erlang == self.erlang and self.iteration == 0:
            return None  # B prints two start lines per load
        self.erlang, self.iteration = erlang, 0
        return ProgressEvent("erlang_start", erlang=erlang)

    def _message(self, msg: str) -> ProgressEvent | None:
        if m := _RUNNING.match(msg) or _ENGINE.match(msg):
            return self._start(float(m.group(1)))
        if m := _CHILD.match(msg):
            if self.erlang is None:
                return None
            self.iteration = max(self.iteration or 0, int(m.group(1)) + 1)
            return ProgressEvent("iteration", erlang=self.erlang, iteration=self.iteration,
                                 total_iterations=self.total_iterations)
        if m := _ITERATION.match(msg):
            self.iteration, self.total_iterations = int(m.group(1)), int(m.group(2))
            self.erlang = float(m.group(3))
            return ProgressEvent("iteration", erlang=self.erlang, iteration=self.iteration,
                                 total_iterations=self.total_iterations)
        if m := _MEAN.match(msg):
            if self.erlang is None or self.iteration is None:
                return None
            return ProgressEvent("iteration", erlang=self.erlang, iteration=self.iteration,
                                 metrics={"blocking_prob": float(m.group(1))})
        if m := _CI_REACHED.match(msg):
            return ProgressEvent("erlang_complete", erlang=float(m.group(3)),
                                 iteration=int(m.group(2)))
        if m := _FINISHED.match(msg):
            return ProgressEvent("erlang_complete", erlang=float(m.group(1)))
        if m := _CRITICAL.match(msg):
            self._critical = m.group(2)
            if m.group(1).upper() == "FAILURE":
                return ProgressEvent("error", message=f"FUSION's worker {m.group(2)} failed "
                                                      "(CRITICAL FAILURE)")
            return None
        if m := _FAILED.match(msg):
            worker = f" {self._critical}" if self._critical else ""
            return ProgressEvent("error", message=f"FUSION's worker{worker} crashed while "
                                                  f"running Erlang {float(m.group(1)):g}")
        if _WORKER_DIED.match(msg):
            return ProgressEvent("error", message="FUSION's worker process died "
                                                  f"({msg.rstrip(':')})")
        if m := _V_START.match(msg):
            return ProgressEvent("output_dir", message=f"{m.group(2)}/{m.group(3)}/{m.group(1)}")
        if m := _B_TARGET.match(msg):
            return ProgressEvent("output_dir", message=f"{m.group(1)}/{m.group(2)}")
        return None
