from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommendations.models import BlendSettings


class Command(BaseCommand):
    help = (
        "Show or change the blend settings that staff also edit in the "
        "admin. Invalid values are refused and nothing is changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--weights",
            help="Component weights, e.g. collaborative=0.7,content=0.3.",
        )
        parser.add_argument(
            "--states",
            help="Recommendable project states, comma-separated, or 'any'.",
        )
        parser.add_argument("--cold-backers", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        blend = BlendSettings.get_solo()
        if options["weights"]:
            blend.weights = {**blend.weights, **parse_weights(options["weights"])}
        if options["states"]:
            states = options["states"].strip()
            blend.recommendable_states = (
                [] if states == "any" else [s.strip() for s in states.split(",")]
            )
        if options["cold_backers"] is not None:
            blend.cold_backers = options["cold_backers"]

        try:
            blend.save()
        except ValidationError as error:
            raise CommandError(f"Blend settings not changed: {error}") from error
        weights = ", ".join(f"{name}={w:g}" for name, w in blend.weights.items())
        states = ", ".join(blend.recommendable_states) or "any"
        self.stdout.write(
            f"weights {weights}; cold below {blend.cold_backers} backers; "
            f"recommendable states: {states}"
        )


def parse_weights(text: str) -> dict[str, float]:
    weights = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        try:
            if not sep:
                raise ValueError
            weights[name.strip()] = float(value)
        except ValueError as error:
            raise CommandError(
                f"Weight {part!r} is not of the form name=number."
            ) from error
    return weights
