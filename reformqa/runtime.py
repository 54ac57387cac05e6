"""How a process that answers questions uses the machine's cores."""

from __future__ import annotations

import logging

from threadpoolctl import threadpool_limits

log = logging.getLogger(__name__)


def one_blas_thread() -> threadpool_limits:
    """Give the BLAS libraries (numpy's, faiss's) one thread for the rest of the process.

    Answering multiplies small arrays (one question against the sentence vectors, a few hundred
    candidates' features); a second BLAS thread spins between those products, so a question cost
    about twice the CPU for no faster answer, and under load it took the core that other users'
    questions needed. The query model keeps its own threads. The answers are the same either way
    (docs/results.md, forty-fourth stop). Called by the commands that answer questions, not by
    ingest or training. The returned limits restore the threads before (also as a ``with`` block).
    """
    limits = threadpool_limits(limits=1, user_api="blas")
    log.debug("BLAS limited to one thread")
    return limits
