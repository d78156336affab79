"""Celery tasks: thin wrappers that hand generation ids to the services."""

from __future__ import annotations

import logging

from celery import shared_task
from kombu.exceptions import OperationalError
from kombu.utils.url import maybe_sanitize_url

from recommendations import services
from recommendations.models import Kind

logger = logging.getLogger(__name__)


class BrokerUnreachable(Exception):
    """The computation could not be handed to the broker."""


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


def queue_generation(generation_id: int) -> None:
    """Send a pending generation to the workers, or compute it here when
    tasks run in-process (its errors are then raised here).

    Raise BrokerUnreachable, with the generation marked failed, when the
    broker cannot be reached; the broker's connection settings bound how
    long that takes.
    """
    try:
        compute_generation.delay(generation_id)
    except OperationalError as error:
        url = maybe_sanitize_url(compute_generation.app.conf.broker_write_url)
        unreachable = BrokerUnreachable(
            f"The broker at {url} cannot be reached ({error})"
        )
        services.fail_unqueued(generation_id, f"{unreachable}; not queued.")
        raise unreachable from error


@shared_task(name="recommendations.tasks.recompute_all")
def recompute_all() -> list[int]:
    """Start a generation of every kind and queue each one's computation."""
    generation_ids = []
    for kind in Kind.values:
        generation = services.start_generation(kind)
        queue_generation(generation.pk)
        generation_ids.append(generation.pk)
    return generation_ids
