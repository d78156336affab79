"""Similarity kernels: plain functions on arrays, with no Django import.

Both kernels return the top N neighbours of every row as `Neighbours`, one
block of source rows at a time, so that the caller can store a block before
the next is computed and peak memory stays bounded by the block budget.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sparse_dot_topn import sp_matmul_topn

logger = logging.getLogger(__name__)

# Cosines this close to zero are rounding noise, not a shared signal (the
# content kernel computes in single precision).
SCORE_FLOOR = 1e-6

# Entries of a block product held in memory at once, about 8 bytes each
# for the sparse product of shared backers and 4 for a dense one.
DEFAULT_BLOCK_BUDGET = 8_000_000

# Words of two or more letters; digits and underscores are not words, so
# "2020" or "v2" never make two projects look alike.
TOKEN_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"


class EmptyCorpusError(ValueError):
    """The texts hold no word that the content kernel can use."""


@dataclass(frozen=True)
class Neighbours:
    """Parallel arrays of (source, target, score[, support]) row indices."""

    source: np.ndarray
    target: np.ndarray
    score: np.ndarray
    support: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.source)


def amount_matrix(
    project_rows: np.ndarray,
    backer_cols: np.ndarray,
    amounts: np.ndarray,
    shape: tuple[int, int],
) -> sp.csr_matrix:
    """Build the projects x backers matrix of pledge amounts.

    Repeated (project, backer) pairs are summed and zero amounts dropped.
    """
    matrix = sp.coo_matrix(
        (np.asarray(amounts, dtype=np.float64), (project_rows, backer_cols)),
        shape=shape,
    ).tocsr()
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    return matrix


def collaborative_neighbours(
    amounts: sp.csr_matrix,
    top_n: int,
    block_budget: int = DEFAULT_BLOCK_BUDGET,
    threads: int = 1,
) -> Iterator[Neighbours]:
    """Yield, block by block, each project's top N by cosine over backers.

    score(p, q) = sum_b a(b,p) a(b,q) / (|p| |q|); support is the number of
    backers p and q share. A project is never its own neighbour. `threads`
    share the score product; each project's list is found by one thread,
    so the result does not depend on their number.
    """
    if top_n < 1:
        raise ValueError("top_n must be at least 1")
    amounts = sp.csr_matrix(amounts, dtype=np.float64)
    amounts.sum_duplicates()
    amounts.eliminate_zeros()
    if amounts.nnz == 0:
        return
    if amounts.data.min() < 0:
        raise ValueError("pledge amounts must not be negative")

    unit = normalize(amounts, norm="l2", axis=1, copy=True).tocsr()
    unit_t = unit.T.tocsr()
    shared = sp.csr_matrix(
        (np.ones(amounts.nnz, dtype=np.int32), amounts.indices, amounts.indptr),
        shape=amounts.shape,
    )
    shared_t = shared.T.tocsr()

    # The shared-backer counts are a full product of the block's rows; a
    # row's part has at most as many entries as its backers have backings
    # in all, so rows are grouped to keep each block within the budget.
    backer_degree = np.diff(shared_t.indptr).astype(np.float64)
    row_cost = shared @ backer_degree
    for start, stop in _blocks_by_cost(row_cost, block_budget):
        # One more than asked: the project itself is usually among them.
        scores = sp_matmul_topn(
            unit[start:stop],
            unit_t,
            top_n + 1,
            threshold=SCORE_FLOOR,
            sort=True,
            n_threads=threads if threads > 1 else None,
        )
        block = _top_n_of_sparse(scores, start, top_n)
        if not len(block):
            # Only the projects themselves: their backers back nothing else.
            yield replace(block, support=np.empty(0, dtype=np.int64))
            continue
        support = shared[start:stop] @ shared_t
        counts = support[block.source - start, block.target]
        yield replace(block, support=np.asarray(counts, dtype=np.int64).ravel())


def _blocks_by_cost(row_cost: np.ndarray, budget: int) -> Iterator[tuple[int, int]]:
    n_rows = len(row_cost)
    start = 0
    while start < n_rows:
        cumulative = np.cumsum(row_cost[start:])
        stop = start + int(np.searchsorted(cumulative, budget, side="right"))
        stop = max(stop, start + 1)
        yield start, min(stop, n_rows)
        start = stop


def _top_n_of_sparse(scores: sp.csr_matrix, offset: int, top_n: int) -> Neighbours:
    """Drop each row's own entry and keep its first top_n of the others.

    `scores` comes sorted best first within each row, as sp_matmul_topn
    returns it with sort=True.
    """
    rows = np.repeat(np.arange(scores.shape[0]), np.diff(scores.indptr)) + offset
    cols = scores.indices.astype(np.int64)
    values = scores.data
    # By index, not by score: float cosines of identical vectors are not
    # exactly 1, and another project may score as high as the row itself.
    keep = cols != rows
    rows, cols, values = rows[keep], cols[keep], values[keep]

    first_of_row = np.searchsorted(rows, rows, side="left")
    keep = np.arange(len(rows)) - first_of_row < top_n
    return Neighbours(
        source=rows[keep],
        target=cols[keep],
        score=np.clip(values[keep], 0.0, 1.0),
    )


def lsi_vectors(
    texts: Sequence[str], n_components: int, random_state: int = 0
) -> np.ndarray:
    """Return unit-length LSI vectors (TF-IDF reduced by truncated SVD).

    The number of components shrinks to what the corpus supports (fewer
    than its documents and its terms). Rows with no usable word are zero.
    Raises EmptyCorpusError when no text has a usable word.
    """
    vectorizer = TfidfVectorizer(
        stop_words="english",
        token_pattern=TOKEN_PATTERN,
        sublinear_tf=True,
        dtype=np.float64,
    )
    try:
        tfidf = vectorizer.fit_transform(texts)
    except ValueError as error:
        # scikit-learn says "empty vocabulary" when every word was dropped.
        raise EmptyCorpusError(str(error)) from error

    n_docs, n_terms = tfidf.shape
    k = min(n_components, n_docs - 1, n_terms - 1)
    if k < 1:
        latent = tfidf.toarray()
    else:
        svd = TruncatedSVD(n_components=k, random_state=random_state)
        latent = svd.fit_transform(tfidf)
    logger.info(
        "lsi: %d documents, %d terms, %d components", n_docs, n_terms, max(k, 0)
    )
    return normalize(latent, norm="l2", axis=1)


def dense_neighbours(
    vectors: np.ndarray,
    top_n: int,
    block_budget: int = DEFAULT_BLOCK_BUDGET,
) -> Iterator[Neighbours]:
    """Yield each row's top N by cosine of unit-length dense vectors.

    Only scores above zero are kept; a row is never its own neighbour.
    """
    if top_n < 1:
        raise ValueError("top_n must be at least 1")
    n_rows = vectors.shape[0]
    if n_rows == 0:
        return
    # Single precision: a cosine to 1e-7 ranks content as well as to 1e-16,
    # and the block product and its partition run about three times faster.
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    block_rows = max(1, block_budget // n_rows)
    k = min(top_n, n_rows - 1)
    for start in range(0, n_rows, block_rows):
        stop = min(start + block_rows, n_rows)
        scores = vectors[start:stop] @ vectors.T
        local = np.arange(stop - start)
        scores[local, local + start] = -np.inf
        if k < 1:
            continue
        yield _top_n_of_dense(scores, start, k)


def _top_n_of_dense(scores: np.ndarray, offset: int, k: int) -> Neighbours:
    n_block, n_cols = scores.shape
    if k < n_cols:
        candidates = np.argpartition(scores, n_cols - k, axis=1)[:, n_cols - k :]
    else:
        candidates = np.tile(np.arange(n_cols), (n_block, 1))
    picked = np.take_along_axis(scores, candidates, axis=1)

    rows = np.repeat(np.arange(n_block) + offset, candidates.shape[1])
    cols = candidates.ravel().astype(np.int64)
    values = picked.ravel().astype(np.float64)
    keep = np.isfinite(values) & (values > SCORE_FLOOR)
    rows, cols, values = rows[keep], cols[keep], values[keep]

    order = np.lexsort((cols, -values, rows))
    return Neighbours(
        source=rows[order],
        target=cols[order],
        score=np.clip(values[order], 0.0, 1.0),
    )
