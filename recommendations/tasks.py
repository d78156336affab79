"""Celery tasks: thin wrappers that hand generation ids to the services."""

from __future__ import annotations

import logging

from celery import shared_task

from recommendations import services
from recommendations.models import Kind

logger = logging.getLogger(__name__)


@shared_task(name="recommendations.tasks.compute_generation")
def compute_generation(generation_id: int) -> dict[str, object]:
    """Compute and publish one pending generation; a second run is a no-op."""
    try:
        generation = services.run_generation(generation_id)
    except services.GenerationNotClaimed:
        logger.info("generation %s: already claimed, nothing to do", generation_id)
        return {"generation": generation_id, "status": "not-claimed"}
    return {
        "generation": generation.pk,
        "status": generation.status,
        "rows": generation.rows,
    }


@shared_task(name="recommendations.tasks.recompute_all")
def recompute_all() -> list[int]:
    """Start a generation of every kind and queue each one's computation."""
    generation_ids = []
    for kind in Kind.values:
        generation = services.start_generation(kind)
        compute_generation.delay(generation.pk)
        generation_ids.append(generation.pk)
    return generation_ids
