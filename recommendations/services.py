"""Compute and publish similarity generations.

Every write to Generation and Similarity goes through this module. A
generation is computed into rows no reader sees, then published in one
transaction; the previous generation of that kind is deleted afterwards.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import cast

import numpy as np
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Field, QuerySet
from django.utils import timezone

from projects.models import Backing, Project
from recommendations import kernels
from recommendations.models import (
    Generation,
    GenerationStatus,
    Kind,
    Similarity,
)

logger = logging.getLogger(__name__)

# Called with (source rows done, source rows in all) after each block.
Progress = Callable[[int, int], None]


class GenerationNotClaimed(Exception):
    """Another run has already taken, or finished, this generation."""


def start_generation(kind: str) -> Generation:
    """Return a pending generation of `kind`, creating one if none waits.

    One query to look, one to create. A generation already pending is
    returned as it is, so that a burst of triggers queues one computation.
    """
    if kind not in Kind.values:
        raise ValueError(f"unknown similarity kind {kind!r}")
    waiting = Generation.objects.of_kind(kind).filter(status=GenerationStatus.PENDING)
    existing = waiting.order_by("created_at").first()
    if existing is not None:
        return existing
    return Generation.objects.create(kind=kind, params=_params_for(kind))


def _params_for(kind: str) -> dict[str, int]:
    params = {"top_n": settings.KICKREC["TOP_N"]}
    if kind == Kind.CONTENT:
        params["components"] = settings.KICKREC["LSI_COMPONENTS"]
    return params


def fail_unqueued(generation_id: int, reason: str) -> bool:
    """Mark a pending generation failed because its task was never queued;
    return whether it was still pending. One UPDATE.

    Left pending, it would look queued in the admin, and the next trigger
    would reuse it as though a worker were on its way. A generation a
    worker has already claimed is left to that worker.
    """
    pending = Generation.objects.filter(
        pk=generation_id, status=GenerationStatus.PENDING
    )
    failed = pending.update(
        status=GenerationStatus.FAILED, message=reason, finished_at=timezone.now()
    )
    if failed:
        logger.warning("generation %s: %s", generation_id, reason)
    return bool(failed)


def claim(generation_id: int) -> Generation:
    """Mark a pending generation running; raise if it is not pending.

    The conditional UPDATE is the lock: of two workers handed the same id,
    exactly one sees a row updated.
    """
    claimed = Generation.objects.filter(
        pk=generation_id, status=GenerationStatus.PENDING
    ).update(status=GenerationStatus.RUNNING, started_at=timezone.now())
    if not claimed:
        raise GenerationNotClaimed(f"generation {generation_id} is not pending")
    return Generation.objects.get(pk=generation_id)


def run_generation(generation_id: int, progress: Progress | None = None) -> Generation:
    """Claim, compute, store and publish one generation; return it.

    Memory is bounded by the kernels' block budget plus one block of rows.
    On failure the generation is marked failed, its rows are deleted and the
    published generation stays current.
    """
    generation = claim(generation_id)
    logger.info("generation %s: computing %s", generation.pk, generation.kind)
    try:
        blocks: _Blocks | None
        if generation.kind == Kind.COLLABORATIVE:
            blocks = _collaborative_blocks(generation)
        else:
            blocks = _content_blocks(generation)
        if blocks is None:
            return _finish(generation, GenerationStatus.SKIPPED)
        generation.rows = _store(generation, blocks, progress)
        _publish(generation)
    except Exception as error:
        logger.exception("generation %s: failed", generation.pk)
        Similarity.objects.of_generation(generation).delete()
        _finish(generation, GenerationStatus.FAILED, message=repr(error))
        raise
    logger.info(
        "generation %s: published %d %s rows",
        generation.pk,
        generation.rows,
        generation.kind,
    )
    return generation


def _finish(generation: Generation, status: str, message: str = "") -> Generation:
    generation.status = status
    generation.message = message or generation.message
    generation.finished_at = timezone.now()
    generation.save(update_fields=["status", "message", "finished_at"])
    return generation


@dataclass
class _Blocks:
    """Kernel output with the row index -> project id map it refers to."""

    project_ids: np.ndarray
    blocks: Iterable[kernels.Neighbours]


def _collaborative_blocks(generation: Generation) -> _Blocks:
    rows = Backing.objects.active().values_list("project_id", "backer_id", "amount")
    project_col, backer_col, amounts = _columns(rows)
    project_ids, project_rows = np.unique(project_col, return_inverse=True)
    backer_ids, backer_cols = np.unique(backer_col, return_inverse=True)
    matrix = kernels.amount_matrix(
        project_rows, backer_cols, amounts, (len(project_ids), len(backer_ids))
    )
    logger.info(
        "generation %s: %d projects, %d backers, %d active backings",
        generation.pk,
        matrix.shape[0],
        matrix.shape[1],
        matrix.nnz,
    )
    return _Blocks(
        project_ids,
        kernels.collaborative_neighbours(
            matrix,
            generation.params["top_n"],
            settings.KICKREC["BLOCK_BUDGET"],
            settings.KICKREC["THREADS"],
        ),
    )


def _columns(rows: QuerySet) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    project_col: list[int] = []
    backer_col: list[int] = []
    amounts: list[float] = []
    for project_id, backer_id, amount in rows.iterator(chunk_size=20000):
        project_col.append(project_id)
        backer_col.append(backer_id)
        amounts.append(float(amount))
    return (
        np.asarray(project_col, dtype=np.int64),
        np.asarray(backer_col, dtype=np.int64),
        np.asarray(amounts, dtype=np.float64),
    )


def project_text(name: str, blurb: str, category: str, subcategory: str) -> str:
    """The text the content kernel reads for one project."""
    return " ".join(part for part in (name, blurb, category, subcategory) if part)


def _content_blocks(generation: Generation) -> _Blocks | None:
    rows = Project.objects.order_by("pk").values_list(
        "pk", "name", "blurb", "category", "subcategory"
    )
    project_ids: list[int] = []
    texts: list[str] = []
    for pk, *parts in rows.iterator(chunk_size=20000):
        project_ids.append(pk)
        texts.append(project_text(*parts))
    if not texts:
        return _Blocks(np.empty(0, dtype=np.int64), [])

    try:
        vectors = kernels.lsi_vectors(texts, generation.params["components"])
    except kernels.EmptyCorpusError as error:
        logger.warning(
            "generation %s: content similarity skipped, no usable words in "
            "%d project texts (%s)",
            generation.pk,
            len(texts),
            error,
        )
        generation.message = f"Skipped: no usable words in the project texts ({error})."
        return None
    return _Blocks(
        np.asarray(project_ids, dtype=np.int64),
        kernels.dense_neighbours(
            vectors, generation.params["top_n"], settings.KICKREC["BLOCK_BUDGET"]
        ),
    )


def _store(generation: Generation, blocks: _Blocks, progress: Progress | None) -> int:
    total = len(blocks.project_ids)
    stored = 0
    for block in blocks.blocks:
        _insert(generation, blocks.project_ids, block)
        stored += len(block)
        if progress is not None and len(block):
            progress(int(block.source[-1]) + 1, total)
    if progress is not None:
        progress(total, total)
    return stored


def _insert(
    generation: Generation, project_ids: np.ndarray, block: kernels.Neighbours
) -> None:
    """Write one block of rows with the database's fastest bulk path.

    A recompute writes millions of rows; building a model instance for each
    costs more than the kernels, so the rows go to the cursor as tuples.
    """
    if not len(block):
        return
    supports = (
        block.support.tolist() if block.support is not None else [None] * len(block)
    )
    rows = zip(
        itertools.repeat(generation.pk),
        itertools.repeat(generation.kind),
        project_ids[block.source].tolist(),
        project_ids[block.target].tolist(),
        block.score.tolist(),
        supports,
        strict=False,
    )
    meta = Similarity._meta
    columns = [
        cast(Field, meta.get_field(name)).column
        for name in ("generation", "kind", "source", "target", "score", "support")
    ]
    table = connection.ops.quote_name(str(meta.db_table))
    column_list = ", ".join(connection.ops.quote_name(str(c)) for c in columns)
    # One transaction per block: in autocommit, SQLite would sync each row.
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(  # type: ignore[attr-defined]
                f"COPY {table} ({column_list}) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})",
                list(rows),
            )


def _publish(generation: Generation) -> None:
    """Make `generation` the current one of its kind, then drop the old.

    The flip is one transaction: readers see the old rows until it commits
    and the new rows after. Deleting the old rows comes after the commit;
    a reader already holding the old generation's snapshot still reads it.
    """
    newer = Generation.objects.of_kind(generation.kind).current()
    if newer.filter(pk__gt=generation.pk).exists():
        # A run started later finished first; its rows are the fresher.
        Similarity.objects.of_generation(generation).delete()
        _finish(generation, GenerationStatus.SUPERSEDED)
        return

    try:
        with transaction.atomic():
            Generation.objects.of_kind(generation.kind).current().exclude(
                pk=generation.pk
            ).update(is_current=False)
            generation.is_current = True
            generation.status = GenerationStatus.PUBLISHED
            generation.finished_at = timezone.now()
            generation.save(
                update_fields=["is_current", "status", "finished_at", "rows"]
            )
    except IntegrityError as error:
        # Another generation of this kind was published at the same moment.
        raise RuntimeError(
            f"generation {generation.pk}: another {generation.kind} generation "
            "was published concurrently"
        ) from error

    # TODO: a worker killed mid-run leaves its generation "running" with
    # the rows it wrote; nothing sweeps those yet, as telling a dead run
    # from a slow one needs a heartbeat the tasks do not keep.
    stale = Generation.objects.of_kind(generation.kind).filter(
        is_current=False, status=GenerationStatus.PUBLISHED
    )
    for old in stale:
        Similarity.objects.of_generation(old).delete()
    stale.update(status=GenerationStatus.SUPERSEDED)
