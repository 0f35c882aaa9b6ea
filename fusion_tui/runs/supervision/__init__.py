"""What a run's detached supervisor does while its run lives (`runs/supervisor.py` starts
it), one job per module: `supervisor.py` ties them together and settles the outcome;
`processes.py` follows the waiter and the simulator (their reports, exit records, the
orphans it reaps as their subreaper); `signals.py` what it is asked by signal (a cancel,
a batch job's time limit); `cancel.py` carries a cancel out (SIGTERM, the grace period,
SIGKILL) and records each signal sent; `status.py` keeps `status.json`; `reporter.py`
hands its state to the recorder helper (which writes the store and starts queued runs);
`adoption.py` re-attaches to a run whose supervisor died, and adopts other orphans in
the runs folder's register. What differs between simulators it asks the run's kind
(`kinds/`): its progress, its results, how a cancel ends it. Never imports the database
layer.
"""
