"""The project states a recommendation may be in, as people type them.

The API's `states` parameter and `configure_blend --states` read the same
text, a comma-separated list of states or "any" alone, and refuse it with
the same words.
"""

from __future__ import annotations

from projects.models import ProjectState

ANY_STATE = "any"

_CHOICES = (
    "a comma-separated list of "
    + ", ".join(ProjectState.values)
    + f', or "{ANY_STATE}" alone'
)
BLANK_STATES = f'Give states as {_CHOICES}, e.g. "live,successful".'


class StatesError(ValueError):
    """States that cannot be read; the message says how to write them."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def parse_states(text: str) -> list[str] | None:
    """Return the states named in `text` in order without repeats, or None
    for any state; raise StatesError naming what is wrong."""
    if text.strip().lower() == ANY_STATE:
        return None

    states = [part.strip() for part in text.split(",") if part.strip()]
    if not states:
        raise StatesError(BLANK_STATES, "blank")
    if any(state.lower() == ANY_STATE for state in states):
        raise StatesError(
            f'"{ANY_STATE}" means every state and must be given alone, not '
            "in a list with other states.",
            "any_not_alone",
        )
    unknown = [state for state in states if state not in ProjectState.values]
    if unknown:
        named = ", ".join(f'"{state}"' for state in unknown)
        plural = "s" if len(unknown) > 1 else ""
        raise StatesError(f"Unknown state{plural} {named}; use {_CHOICES}.", "unknown")
    return list(dict.fromkeys(states))
