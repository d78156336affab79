from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommendations.models import MAX_COLD_BACKERS, BlendSettings
from recommendations.states import StatesError, parse_states


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
            help="Recommendable project states, comma-separated, or 'any' alone.",
        )
        parser.add_argument(
            "--cold-backers",
            type=int,
            metavar="N",
            help=(
                "Projects with fewer active backers than this are cold: their "
                "collaborative weight ramps up from 0 with each backer. "
                f"From 0 (no project is cold) to {MAX_COLD_BACKERS}."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        blend = BlendSettings.get_solo()
        if options["weights"]:
            blend.weights = {**blend.weights, **parse_weights(options["weights"])}
        if options["states"]:
            blend.recommendable_states = parse_state_option(options["states"])
        if options["cold_backers"] is not None:
            blend.cold_backers = check_cold_backers(options["cold_backers"])

        try:
            blend.save()
        except ValidationError as error:
            raise CommandError(
                "Blend settings not changed:\n" + "\n".join(describe(error))
            ) from error
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


def parse_state_option(text: str) -> list[str]:
    """The states to store; the settings keep "any" as no states."""
    try:
        return parse_states(text) or []
    except StatesError as error:
        raise CommandError(f"--states: {error}") from error


def check_cold_backers(number: int) -> int:
    # Checked here: the database would refuse a negative number with an
    # IntegrityError, and one past its integers with an OverflowError.
    if not 0 <= number <= MAX_COLD_BACKERS:
        raise CommandError(
            f"--cold-backers must be from 0 to {MAX_COLD_BACKERS}, not {number}."
        )
    return number


def describe(error: ValidationError) -> list[str]:
    """One line per message, each after the name of its field if it has one."""
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    return [
        message if field == NON_FIELD_ERRORS else f"{field}: {message}"
        for field, messages in error.message_dict.items()
        for message in messages
    ]
