"""Dense search over passage vectors: exact below a size threshold, approximate above it.

Below :data:`ANN_THRESHOLD` passages every query scores every vector (a matrix-vector
product). Above it a FAISS approximate index (see :data:`ANN_KIND`) proposes
:data:`CANDIDATES` rows, which are then scored exactly against the stored vectors, so the
scores a caller sees are always true cosine similarities. Chosen with ``make bench-scale``
(docs/bench.md) on two shared cores: exact search took 8 ms at 10k passages and 16 ms at
100k; HNSW (8-bit codes, M 48, efSearch 384) found the exact dense top-10 (recall 1.000)
in 0.5 ms at both sizes and built in 1.3 s / 20 s; IVF was as fast, built slower and kept
less hybrid quality at 100k.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

log = logging.getLogger(__name__)

ANN_THRESHOLD = 20_000
ANN_KIND = "hnsw"
KINDS = ("flat", "hnsw", "ivf")
CANDIDATES = 200
HNSW_M = 48
HNSW_EF_CONSTRUCTION = 100
HNSW_EF_SEARCH = 384
IVF_NPROBE = 64
ANN_FILE = "ann.faiss"


def choose_kind(n: int) -> str:
    """``flat`` below the threshold, the approximate kind above it."""
    return ANN_KIND if n >= ANN_THRESHOLD else "flat"


def ivf_lists(n: int) -> int:
    """IVF cells: about 4·√n, with at least 39 training vectors each (FAISS's minimum)."""
    return max(1, min(int(4 * np.sqrt(max(n, 1))), n // 39))


def build_ann(vectors: np.ndarray, kind: str) -> faiss.Index:
    """An approximate inner-product index over ``vectors`` (8-bit scalar-quantised codes)."""
    n, dim = vectors.shape
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    t0 = time.perf_counter()
    if kind == "hnsw":
        index = faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_8bit, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.train(x)
    elif kind == "ivf":
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFScalarQuantizer(
            quantizer, dim, ivf_lists(n), faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )
        index.train(x)
    else:
        raise ValueError(f"unknown approximate index kind {kind!r} (one of {KINDS[1:]})")
    index.add(x)
    log.info("%s index over %d vectors built in %.1f s", kind, n, time.perf_counter() - t0)
    return index


def _configure(index: faiss.Index) -> None:
    if isinstance(index, faiss.IndexHNSW):
        index.hnsw.efSearch = HNSW_EF_SEARCH
    elif isinstance(index, faiss.IndexIVF):
        index.nprobe = IVF_NPROBE


@dataclass
class VectorIndex:
    """Passage vectors (row i = passage i, L2-normalised) and, for large indexes, an ANN over them."""

    vectors: np.ndarray
    ann: faiss.Index | None = None

    def __post_init__(self) -> None:
        if self.ann is not None:
            _configure(self.ann)

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str | None = None) -> VectorIndex:
        """Exact or approximate, by :func:`choose_kind` unless ``kind`` is given."""
        kind = kind or choose_kind(len(vectors))
        if kind == "flat" or not vectors.size:
            return cls(vectors)
        return cls(vectors, build_ann(vectors, kind))

    @property
    def kind(self) -> str:
        if self.ann is None:
            return "flat"
        return "hnsw" if isinstance(self.ann, faiss.IndexHNSW) else "ivf"

    @property
    def approximate(self) -> bool:
        return self.ann is not None

    def matches(self, vectors: np.ndarray) -> bool:
        """Whether this index was built over ``vectors`` (same rows)."""
        return self.vectors is vectors or (
            self.vectors.shape == vectors.shape and (self.ann is None or self.ann.ntotal == len(vectors))
        )

    def scores(self, query: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Exact cosine similarity of ``query`` with every vector (or with ``rows`` only)."""
        if not self.vectors.size:
            return np.zeros(len(self.vectors) if rows is None else len(rows), dtype=np.float32)
        matrix = self.vectors if rows is None else self.vectors[rows]
        return matrix @ query

    def candidates(self, query: np.ndarray, n: int = CANDIDATES) -> np.ndarray:
        """Rows the approximate index proposes for ``query`` (all rows when exact)."""
        if self.ann is None:
            return np.arange(len(self.vectors))
        _, ids = self.ann.search(np.ascontiguousarray(query[None, :], dtype=np.float32), n)
        return ids[0][ids[0] >= 0]

    def save(self, folder: Path) -> None:
        """Write the approximate index (the exact vectors are saved by the store)."""
        if self.ann is not None:
            faiss.write_index(self.ann, str(folder / ANN_FILE))

    @classmethod
    def load(cls, folder: Path, vectors: np.ndarray) -> VectorIndex:
        path = folder / ANN_FILE
        ann = faiss.read_index(str(path)) if path.is_file() else None
        if ann is not None and ann.ntotal != len(vectors):
            log.warning("%s holds %d vectors, the build %d: searching exactly", path, ann.ntotal, len(vectors))
            ann = None
        return cls(vectors, ann)
