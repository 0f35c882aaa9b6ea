"""The local executor: a run is a detached supervisor on this machine.

`executor` starts, watches, settles and adopts; `cancelling` cancels, and carries out a
cancel whose supervisor does not answer.
"""
