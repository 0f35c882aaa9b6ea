"""The schema revision this fusion-tui writes (the newest Alembic migration's id).

A test checks it against Alembic's script directory. Knowing it without Alembic lets a
start-up on a current schema skip importing Alembic, and lets the app's first frame read
the run list with the standard library before SQLAlchemy has loaded.
"""

HEAD_REVISION = "0010"
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009",
                   "0010")
