"""The process beside the worker's fold on SQLite (reports/fold.py `_Ahead`), started with
nothing of the worker's: this module imports no model, so that the process can start Django
before the fold's code is loaded."""

from __future__ import annotations

import os
import pickle
import threading
import time
from typing import Any


def serve(pipe: Any, parent: int, database: str) -> None:
    """Answer each batch asked for (campaign, after, limit) with its rows and what they count,
    or a line saying what went wrong, pickled with the batch it answers."""

    def watch() -> None:
        # Ends with the worker, even one killed with kill -9.
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
    import django

    django.setup()
    from django.db import connection

    from hashrally.core.collections_pause import for_bulk_work
    from hashrally.reports import fold

    # The database the worker folds (a test's is not the settings' own).
    connection.settings_dict["NAME"] = database
    for_bulk_work()
    pipe.send_bytes(b"ready")
    while True:
        try:
            key = pipe.recv()
        except EOFError:
            return
        try:
            rows = fold.read_batch(*key)
            answer: Any = (fold.carried(rows), fold.count_batch(rows) if rows else None)
        except Exception as exc:  # told to the worker, which reads the batch itself
            answer = f"{type(exc).__name__}: {exc}"
        # Named by the batch it answers: the worker checks it is the one it asked for.
        pipe.send_bytes(pickle.dumps((key, answer), protocol=pickle.HIGHEST_PROTOCOL))
