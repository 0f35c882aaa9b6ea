"""The local executor: a run is a detached supervisor on this machine.

`executor` starts, cancels, settles and adopts; `cancelling` carries out a cancel whose
supervisor does not answer.
"""
