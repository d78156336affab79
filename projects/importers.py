"""Import projects and backings from CSV files, plain or gzipped.

Every write an import makes goes through this module, inside one
transaction per file: a crash part-way leaves the database as it was, and
running the same file again is safe because rows are matched on their keys
(projects on Project.key, backings on their backer and project).

What a file does not say, an import does not change: a column the file
lacks, or an empty cell, leaves the stored value alone. Two sources that
each know part of a project can therefore be imported in either order.
"""

from __future__ import annotations

import csv
import gzip
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO, cast
from urllib.parse import urlsplit

from django.db import models, transaction
from django.utils import timezone

from projects.models import (
    INACTIVE_BACKING_STATES,
    Backer,
    Backing,
    BackingState,
    Project,
    ProjectState,
)

logger = logging.getLogger(__name__)

# Rows parsed, looked up and written together. Memory holds one batch.
BATCH_SIZE = 2000
# Keys per `IN (...)` lookup, well under every database's parameter limit.
LOOKUP_CHUNK = 900
# Rows per INSERT or UPDATE; Django lowers it further where SQLite needs.
WRITE_BATCH = 500
GZIP_MAGIC = b"\x1f\x8b"
FORMATS = ("auto", "webrobots", "plain")

# A record is the file line where a row starts and its cells by column.
Record = tuple[int, dict[str, str]]
# Model field name -> parsed value, for the fields a row provides.
Values = dict[str, Any]


class ImportFileError(Exception):
    """The file as a whole cannot be imported; nothing was written."""


class BadRow(ValueError):
    """One row cannot be imported; the message says why, for a person."""


@dataclass
class ImportReport:
    """What one import did, in counts, and the rows it had to skip."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    # Backings only: rows added into a backing another row already made.
    summed: int = 0
    backers_created: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)

    def skip(self, line: int, reason: str) -> None:
        self.skipped += 1
        self.problems.append((line, reason))

    def problem_lines(self) -> list[str]:
        return [f"line {line}: {reason}" for line, reason in sorted(self.problems)]

    def summary(self) -> str:
        text = (
            f"created {self.created}, updated {self.updated}, "
            f"unchanged {self.unchanged}, skipped {self.skipped}"
        )
        if self.summed:
            text += f"; {self.summed} duplicate rows summed into other backings"
        if self.backers_created == 1:
            text += "; 1 new backer"
        elif self.backers_created:
            text += f"; {self.backers_created} new backers"
        return text


# Reading ----------------------------------------------------------------


@contextmanager
def _csv_records(path: Path) -> Iterator[tuple[list[str], Iterator[Record]]]:
    """Yield the file's lower-cased header and an iterator of its records."""
    try:
        stream = _open_binary(path)
    except OSError as error:
        raise ImportFileError(f"cannot read {path}: {error}") from error
    with stream:
        reader = csv.reader(_text_lines(stream))
        header = [name.strip().lower() for name in _next_cells(reader, 1) or []]
        if not header:
            raise ImportFileError(f"{path.name} is empty")
        yield header, _records(reader, header)


def _open_binary(path: Path) -> BinaryIO:
    # The magic bytes decide, not the name: dumps are often renamed or
    # re-compressed without the suffix following.
    with path.open("rb") as probe:
        compressed = probe.read(2) == GZIP_MAGIC
    if compressed:
        return cast(BinaryIO, gzip.open(path, "rb"))
    return path.open("rb")


def _text_lines(stream: BinaryIO) -> Iterator[str]:
    """Decode the file line by line, so that bad bytes are blamed on their
    own line rather than on the first line of the block read with them."""
    for number, raw in enumerate(stream, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ImportFileError(
                f"line {number}: not UTF-8 text (byte {raw[error.start]:#04x} "
                f"at column {error.start + 1}); save the file as UTF-8"
            ) from error
        yield text.removeprefix("\ufeff") if number == 1 else text


def _next_cells(reader: Any, line: int) -> list[str] | None:
    try:
        return next(reader, None)
    except (csv.Error, UnicodeDecodeError, OSError, EOFError) as error:
        raise ImportFileError(f"line {line}: cannot read the file ({error})") from error


def _records(reader: Any, header: list[str]) -> Iterator[Record]:
    # A quoted cell may span lines, so the reader's line count after the
    # previous row, plus one, is where this row starts.
    while True:
        line = reader.line_num + 1
        cells = _next_cells(reader, line)
        if cells is None:
            return
        if any(cell.strip() for cell in cells):
            yield line, dict(zip(header, cells, strict=False))


def _batches(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


def _chunks(items: list[Any], size: int = LOOKUP_CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _columns(header: list[str], aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Map each field to the first of its aliases the header has."""
    present = set(header)
    columns = {}
    for name, choices in aliases.items():
        found = next((alias for alias in choices if alias in present), None)
        if found is not None:
            columns[name] = found
    return columns


def _require(
    path: Path, columns: dict[str, str], aliases: dict[str, tuple[str, ...]]
) -> None:
    missing = [name for name in aliases if name not in columns]
    if not missing:
        return
    described = ", ".join(_describe(aliases[name]) for name in missing)
    raise ImportFileError(
        f"{path.name} is not a CSV kickrec understands: missing columns {described}"
    )


def _describe(choices: tuple[str, ...]) -> str:
    if len(choices) == 1:
        return choices[0]
    return f"{choices[0]} (or {', '.join(choices[1:])})"


# Cells ------------------------------------------------------------------


def _decimal(raw: str, label: str) -> Decimal | None:
    """Parse a non-negative number; None for an empty cell."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise BadRow(f'{label} "{raw}" is not a number') from None
    if not value.is_finite():
        raise BadRow(f'{label} "{raw}" is not a number')
    if value < 0:
        raise BadRow(f'{label} "{raw}" is negative')
    return value


def _fit_decimal(value: Decimal | None, model: Any, name: str) -> Decimal | None:
    """Round `value` as the column stores it, so re-imports compare equal."""
    if value is None:
        return None
    column = model._meta.get_field(name)
    try:
        value = value.quantize(Decimal(1).scaleb(-column.decimal_places))
    except InvalidOperation:
        raise BadRow(f"{name} {value} is too large to store") from None
    if value.adjusted() >= column.max_digits - column.decimal_places:
        raise BadRow(f"{name} {value} is too large to store")
    return value


def _count(raw: str, label: str) -> int | None:
    value = _decimal(raw, label)
    if value is None:
        return None
    if value != value.to_integral_value():
        raise BadRow(f'{label} "{raw.strip()}" is not a whole number')
    if value > 2_147_483_647:
        raise BadRow(f'{label} "{raw.strip()}" is too large to store')
    return int(value)


def _moment(raw: str, label: str) -> datetime | None:
    """Parse unix seconds or an ISO date or datetime; naive means UTC."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        if re.fullmatch(r"-?\d+(\.\d+)?", raw):
            return datetime.fromtimestamp(float(raw), tz=UTC)
        moment = datetime.fromisoformat(raw)
    except (ValueError, OverflowError, OSError):
        raise BadRow(f'{label} "{raw}" is not a date') from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment


def _clean(raw: str | None) -> str | None:
    """Collapse a cell's white space; None when nothing is left."""
    text = " ".join(raw.split()) if raw else ""
    return text or None


def _text(raw: str | None, name: str) -> str | None:
    """Clean a cell and cut it to the length of Project's `name` column."""
    text = _clean(raw)
    max_length = _max_length(Project, name)
    return text[:max_length] if text and max_length else text


def _url(raw: str | None) -> str | None:
    """A web address, or None: pages link to it and the API hands it out,
    so a javascript: or data: URL never gets in, and a cut one would lead
    nowhere."""
    text = _clean(raw)
    if not text or not text.lower().startswith(("https://", "http://")):
        return None
    return text if len(text) <= _max_length(Project, "url") else None


def _max_length(model: type[models.Model], name: str) -> int:
    """The column's length limit, 0 for a column without one."""
    return getattr(model._meta.get_field(name), "max_length", None) or 0


def _present(values: Values) -> Values:
    return {name: value for name, value in values.items() if value is not None}


def _readable(key: str) -> str:
    """A name made from the key's last part: "my-cool-game" -> "My cool game"."""
    slug = key.rstrip("/").rsplit("/", 1)[-1]
    words = re.sub(r"[-_]+", " ", slug).strip() or key
    return words[:1].upper() + words[1:]


# Projects ---------------------------------------------------------------

PROJECT_ALIASES: dict[str, tuple[str, ...]] = {
    "key": ("key", "project_key", "id"),
    "name": ("name", "title"),
    "blurb": ("blurb", "description", "desc"),
    "category": ("category",),
    "subcategory": ("subcategory",),
    "creator_name": ("creator", "creator_name"),
    "creator_key": ("creator_key", "creator_profile"),
    "external_id": ("external_id",),
    "goal": ("goal",),
    "pledged": ("pledged",),
    "currency": ("currency",),
    "country": ("country",),
    "state": ("state", "profile_status"),
    "launched_at": ("launched_at", "launched"),
    "deadline": ("deadline", "ended_on"),
    "backers_count": ("backers_count",),
    "url": ("url",),
}
PLAIN_REQUIRED = ("key", "name", "blurb")
WEBROBOTS_REQUIRED = ("id", "urls", "creator", "category", "state", "name")

PLAIN_STATES = {
    **{state: state for state in ProjectState.values},
    "cancelled": ProjectState.CANCELED,
    # finproj's profile_status: a backer's public profile shows a badge on
    # every project that did not succeed, so an unbadged one succeeded.
    "listed": ProjectState.SUCCESSFUL,
    "funding_unsuccessful": ProjectState.FAILED,
    "live_at_scrape": ProjectState.LIVE,
}
# What some scrapers write for a title they could not read.
NAME_PLACEHOLDERS = {"n/a", "nan", "null"}
# Kickstarter appends "(Canceled)" or "(Suspended)" to the title of a
# project that was called off. Left in the name, that one word makes every
# canceled project look alike to the content kernel; it belongs in state.
# Kickstarter appends the marker when it calls a project off, and nothing
# else on a page is updated as surely: a backer's profile may still badge a
# suspended project as live, or a canceled one as unsuccessful.
STATE_MARKER = re.compile(r"(?:\s*\((canceled|suspended)\))+$", re.IGNORECASE)


def import_projects(
    path: Path,
    file_format: str = "auto",
    *,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Create or update one project per row of `path`; return the counts.

    Streams the file: memory holds one batch of rows, and each batch costs
    a few queries (look up by key, insert, update). All writes share one
    transaction, rolled back at the end of a dry run.
    """
    report = ImportReport()
    with _csv_records(path) as (header, records):
        parse_row = _project_parser(path, header, file_format)
        with transaction.atomic():
            for batch in _batches(records, batch_size):
                rows = _parse_projects(batch, parse_row, report)
                _upsert_projects(rows, report)
            if dry_run:
                transaction.set_rollback(True)

    logger.info("file %s: projects %s", path.name, report.summary())
    return report


def _project_parser(
    path: Path, header: list[str], file_format: str
) -> Callable[[dict[str, str]], Values]:
    if file_format not in FORMATS:
        raise ImportFileError(f"unknown format {file_format!r}")
    if file_format == "auto":
        is_webrobots = set(WEBROBOTS_REQUIRED[:5]) <= set(header)
        file_format = "webrobots" if is_webrobots else "plain"

    if file_format == "webrobots":
        names: dict[str, tuple[str, ...]] = {
            name: (name,) for name in WEBROBOTS_REQUIRED
        }
        _require(path, _columns(header, names), names)
        return _webrobots_values
    columns = _columns(header, PROJECT_ALIASES)
    _require(path, columns, {name: PROJECT_ALIASES[name] for name in PLAIN_REQUIRED})
    return PlainProjectRow(columns)


def _parse_projects(
    batch: list[Record],
    parse_row: Callable[[dict[str, str]], Values],
    report: ImportReport,
) -> list[tuple[int, Values]]:
    rows = []
    for line, cells in batch:
        try:
            values = _without_state_marker(parse_row(cells))
            if not values.get("key"):
                raise BadRow("the project has no key")
            if len(values["key"]) > _max_length(Project, "key"):
                raise BadRow(f'key "{values["key"][:40]}..." is too long')
        except BadRow as error:
            report.skip(line, str(error))
            continue
        rows.append((line, values))
    return rows


def _without_state_marker(values: Values) -> Values:
    """Move a "(Canceled)" at the end of the name into the state."""
    name = values.get("name") or ""
    found = STATE_MARKER.search(name)
    if found is None or found.start() == 0:
        return values
    state = ProjectState(found.group(1).lower())
    return {**values, "name": name[: found.start()], "state": state}


def _upsert_projects(rows: list[tuple[int, Values]], report: ImportReport) -> None:
    by_key = _projects_by("key", [values["key"] for _, values in rows])
    ids = [values["external_id"] for _, values in rows if values.get("external_id")]
    # One instance per project, found by key or by id, so that a match by
    # one is the same object as a match by the other.
    by_id = {
        external_id: by_key.setdefault(project.key, project)
        for external_id, project in _projects_by("external_id", ids).items()
    }
    created: list[Project] = []
    changed: dict[int, Project] = {}
    fields: set[str] = set()

    for line, values in rows:
        try:
            project, values = _match_project(values, by_key, by_id)
        except BadRow as error:
            report.skip(line, str(error))
            continue
        if project is None:
            project = Project(**{"name": _readable(values["key"]), **values})
            created.append(project)
            report.created += 1
        else:
            # A project met twice in one file: the later row wins, like a
            # re-import.
            changes = _assign(project, values)
            if not changes:
                report.unchanged += 1
                continue
            report.updated += 1
            if project.pk is not None:
                changed[project.pk] = project
                fields |= changes
        by_key[project.key] = project
        if project.external_id:
            by_id.setdefault(project.external_id, project)

    _save(Project, created, list(changed.values()), fields)


def _match_project(
    values: Values, by_key: dict[str, Project], by_id: dict[str, Project]
) -> tuple[Project | None, Values]:
    """Find the project a row describes: by the source's id, else by key.

    The id outlives the key, which follows the project's URL: a creator who
    renames the project's slug, or a row whose URL did not parse, keeps the
    project it had. Returns the project (None for a new one) and the values
    to write.
    """
    key, external_id = values["key"], values.get("external_id")
    project = by_id.get(external_id) if external_id else None
    if project is None:
        return by_key.get(key), values
    if key == external_id:
        # No URL to take a key from, so the id stood in: keep the real key.
        return project, {name: v for name, v in values.items() if name != "key"}
    holder = by_key.get(key)
    if holder is not None and holder is not project:
        raise BadRow(
            f'id {external_id} is project {project.key}, but key "{key}" '
            f"belongs to another project"
        )
    return project, values


def _projects_by(field_name: str, values: list[str]) -> dict[str, Project]:
    """Load the projects whose `field_name` is one of `values`, by it.

    Where two projects share an external id, the oldest wins, the same one
    on every run.
    """
    found: dict[str, Project] = {}
    for chunk in _chunks(sorted(set(values))):
        projects = Project.objects.filter(**{f"{field_name}__in": chunk})
        for project in projects.order_by("-pk"):
            found[getattr(project, field_name)] = project
    return found


def _assign(instance: models.Model, values: Values) -> set[str]:
    """Set the values that differ on `instance`; return their field names."""
    changed = set()
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.add(name)
    return changed


def _save(
    model: type[models.Model],
    created: list[Any],
    changed: list[Any],
    fields: set[str],
) -> None:
    """Insert `created` and write `fields` of `changed`, in bulk."""
    model._default_manager.bulk_create(created, batch_size=WRITE_BATCH)
    if not changed:
        return
    # bulk_update skips auto_now, so the time is set here.
    now = timezone.now()
    for instance in changed:
        instance.updated_at = now
    model._default_manager.bulk_update(
        changed, [*sorted(fields), "updated_at"], batch_size=WRITE_BATCH
    )


class PlainProjectRow:
    """Parses rows of a plain project CSV whose header `columns` mapped."""

    def __init__(self, columns: dict[str, str]) -> None:
        self.columns = columns

    def cell(self, cells: dict[str, str], name: str) -> str:
        column = self.columns.get(name)
        return (cells.get(column) or "").strip() if column else ""

    def label(self, name: str) -> str:
        return self.columns.get(name, name)

    def __call__(self, cells: dict[str, str]) -> Values:
        values: Values = {
            name: _text(self.cell(cells, name), name)
            for name in ("blurb", "category", "subcategory", "creator_name")
        }
        # Never cut a key: two long keys cut alike would merge two projects.
        values["key"] = _clean(self.cell(cells, "key"))
        values.update(self._identity(cells))
        values.update(self._money(cells))
        values.update(self._progress(cells))
        return _present(values)

    def _identity(self, cells: dict[str, str]) -> Values:
        name = self.cell(cells, "name")
        if name.lower() in NAME_PLACEHOLDERS:
            name = ""
        creator = self.cell(cells, "creator_key")
        # A creator profile URL ends with the creator's slug or id.
        creator = urlsplit(creator).path.rstrip("/").rsplit("/", 1)[-1]
        return {
            "name": _text(name, "name"),
            "creator_key": _text(creator, "creator_key"),
            "external_id": _text(self.cell(cells, "external_id"), "external_id"),
            "url": _url(self.cell(cells, "url")),
            "country": _code(self.cell(cells, "country"), 2),
        }

    def _money(self, cells: dict[str, str]) -> Values:
        goal = _decimal(self.cell(cells, "goal"), self.label("goal"))
        pledged = _decimal(self.cell(cells, "pledged"), self.label("pledged"))
        currency = _code(self.cell(cells, "currency"), 3)
        values: Values = {
            "goal": _fit_decimal(goal, Project, "goal"),
            "pledged": _fit_decimal(pledged, Project, "pledged"),
            "currency": currency,
        }
        # Only a dollar amount converts without a rate in the file.
        if currency == "USD":
            values.update(goal_usd=values["goal"], pledged_usd=values["pledged"])
            values["usd_rate"] = Decimal(1)
        return values

    def _progress(self, cells: dict[str, str]) -> Values:
        state = self.cell(cells, "state").lower()
        return {
            "state": PLAIN_STATES.get(state, ProjectState.UNKNOWN) if state else None,
            "launched_at": _moment(
                self.cell(cells, "launched_at"), self.label("launched_at")
            ),
            "deadline": _moment(self.cell(cells, "deadline"), self.label("deadline")),
            "backers_count": _count(
                self.cell(cells, "backers_count"), self.label("backers_count")
            ),
        }


def _code(raw: str, length: int) -> str | None:
    """An ISO country or currency code, upper-cased; None if it is not one."""
    code = raw.strip().upper()
    return code if len(code) == length and code.isalpha() else None


# Web Robots projects ----------------------------------------------------

# A creator name with unescaped quotes breaks its JSON, but the name still
# ends where the next key begins.
CREATOR_NAME = re.compile(r'"name":"(.*?)","[a-z_]+":')
CREATOR_ID = re.compile(r'"id":(\d+)')
CREATOR_SLUG = re.compile(r'"slug":"([^"]+)"')


def _webrobots_values(cells: dict[str, str]) -> Values:
    """Parse one row of a Web Robots Kickstarter CSV into project fields."""
    values = {
        "name": _text(cells.get("name"), "name"),
        "blurb": _text(cells.get("blurb"), "blurb"),
        "country": _code(cells.get("country") or "", 2),
        "currency": _code(cells.get("currency") or "", 3),
        "state": _webrobots_state(cells.get("state") or ""),
        "backers_count": _count(cells.get("backers_count") or "", "backers_count"),
        "launched_at": _moment(cells.get("launched_at") or "", "launched_at"),
        "deadline": _moment(cells.get("deadline") or "", "deadline"),
    }
    values.update(_webrobots_identity(cells))
    values.update(_webrobots_category(cells.get("category") or ""))
    values.update(_webrobots_creator(cells.get("creator") or ""))
    values.update(_webrobots_money(cells))
    return _present(values)


def _json_object(raw: str) -> dict[str, Any] | None:
    try:
        parsed = json.loads(raw)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _webrobots_identity(cells: dict[str, str]) -> Values:
    external_id = (cells.get("id") or "").strip()
    urls = _json_object(cells.get("urls") or "") or {}
    web = urls.get("web")
    link = web.get("project") if isinstance(web, dict) else None
    # The ref= query says which listing the scraper came from, not which
    # project this is, and it changes from scrape to scrape.
    url = link.split("?", 1)[0] if isinstance(link, str) else None
    return {
        "key": _key_from_url(url) or external_id or None,
        "external_id": _text(external_id, "external_id"),
        "url": _url(url),
    }


def _key_from_url(url: str | None) -> str | None:
    """The creator/project path of a Kickstarter project URL, or None."""
    if not url:
        return None
    parts = [part for part in urlsplit(url).path.split("/") if part]
    if len(parts) < 3 or parts[0] != "projects":
        return None
    return f"{parts[1]}/{parts[2]}"


def _webrobots_state(raw: str) -> str | None:
    state = raw.strip().lower()
    if not state:
        return None
    return state if state in ProjectState.values else ProjectState.UNKNOWN


def _webrobots_category(raw: str) -> Values:
    category = _json_object(raw) or {}
    name = category.get("name")
    parent = category.get("parent_name") or name
    return {
        "category": _text(parent, "category"),
        "subcategory": _text(name, "subcategory") if name != parent else None,
    }


def _webrobots_creator(raw: str) -> Values:
    creator = _json_object(raw)
    if creator is None:
        creator = {
            key: match.group(1)
            for key, pattern in (
                ("name", CREATOR_NAME),
                ("id", CREATOR_ID),
                ("slug", CREATOR_SLUG),
            )
            if (match := pattern.search(raw))
        }
    # The slug, where the creator chose one, is what project keys and
    # profile URLs carry, so it joins with other sources better than the id.
    key = creator.get("slug") or creator.get("id")
    return {
        "creator_name": _text(creator.get("name"), "creator_name"),
        "creator_key": _text(str(key) if key else None, "creator_key"),
    }


def _webrobots_money(cells: dict[str, str]) -> Values:
    goal = _fit_decimal(_decimal(cells.get("goal") or "", "goal"), Project, "goal")
    pledged = _decimal(cells.get("pledged") or "", "pledged")
    pledged = _fit_decimal(pledged, Project, "pledged")
    rate = _decimal(cells.get("static_usd_rate") or "", "static_usd_rate")
    rate = _fit_decimal(rate, Project, "usd_rate")
    pledged_usd = _decimal(cells.get("usd_pledged") or "", "usd_pledged")

    if pledged_usd is None and pledged is not None and rate is not None:
        pledged_usd = pledged * rate
    goal_usd = goal * rate if goal is not None and rate is not None else None
    return {
        "goal": goal,
        "pledged": pledged,
        "usd_rate": rate,
        "goal_usd": _fit_decimal(goal_usd, Project, "goal_usd"),
        "pledged_usd": _fit_decimal(pledged_usd, Project, "pledged_usd"),
    }


# Backings ---------------------------------------------------------------

BACKING_ALIASES: dict[str, tuple[str, ...]] = {
    "backer": ("backer", "backer_id", "backer_key", "user"),
    "project": ("project", "project_key", "project_id"),
    "amount": ("amount", "pledge", "pledged"),
    "state": ("state",),
    "backed_at": ("backed_at", "time", "created_at"),
}
BACKING_REQUIRED = ("backer", "project")
BACKING_STATES = {
    **{state: state for state in BackingState.values},
    "": BackingState.COLLECTED,
    "canceled": BackingState.CANCELLED,
    "errored": BackingState.DROPPED,
}


@dataclass(frozen=True)
class BackingRow:
    line: int
    backer: str
    project: str
    amount: Decimal | None
    state: str
    backed_at: datetime | None


@dataclass
class _Tally:
    """A running sum of rows: their amount, last state and first time."""

    amount: Decimal | None = None
    state: str = BackingState.COLLECTED
    backed_at: datetime | None = None

    def add(self, row: BackingRow) -> None:
        if row.amount is not None:
            self.amount = (self.amount or Decimal(0)) + row.amount
        self.state = row.state
        if row.backed_at is not None and (
            self.backed_at is None or row.backed_at < self.backed_at
        ):
            self.backed_at = row.backed_at


@dataclass
class Pledge:
    """The rows of one backer and project in a file, folded as they come.

    The backing sums the rows in active states; a backing with none sums
    every row and keeps the last row's state.
    """

    rows: int = 0
    active: _Tally | None = None
    every: _Tally = field(default_factory=_Tally)

    def add(self, row: BackingRow) -> None:
        self.rows += 1
        self.every.add(row)
        if row.state not in INACTIVE_BACKING_STATES:
            self.active = self.active or _Tally()
            self.active.add(row)

    def values(self) -> Values:
        tally = self.active or self.every
        # Amount and time stay None when the file has none, so an update
        # keeps what is stored and a new backing takes the model default.
        return _present(
            {"amount": tally.amount, "state": tally.state, "backed_at": tally.backed_at}
        )


# (backer key, project id) -> what the file says about that backing.
Pledges = dict[tuple[str, int], Pledge]


def import_backings(
    path: Path, *, dry_run: bool = False, batch_size: int = BATCH_SIZE
) -> ImportReport:
    """Create or update one backing per backer and project; return counts.

    Memory holds one small tally per backer and project, since rows of one
    pair may lie far apart in the file. Costs a few queries per batch to
    read and a few per batch to write. Backers are created as they are
    met. All writes share one transaction, rolled back for a dry run.
    """
    report = ImportReport()
    with _csv_records(path) as (header, records), transaction.atomic():
        columns = _columns(header, BACKING_ALIASES)
        required = {name: BACKING_ALIASES[name] for name in BACKING_REQUIRED}
        _require(path, columns, required)
        pledges = _fold_backings(records, columns, report, batch_size)
        _write_backings(pledges, report, batch_size)
        if dry_run:
            transaction.set_rollback(True)

    logger.info("file %s: backings %s", path.name, report.summary())
    return report


def _fold_backings(
    records: Iterator[Record],
    columns: dict[str, str],
    report: ImportReport,
    batch_size: int,
) -> Pledges:
    pledges: Pledges = {}
    project_ids: dict[str, int | None] = {}
    for batch in _batches(records, batch_size):
        rows = _parse_backings(batch, columns, report)
        _resolve_projects({row.project for row in rows}, project_ids)
        for row in rows:
            project_id = project_ids[row.project]
            if project_id is None:
                report.skip(row.line, f'project "{row.project}" is not imported')
                continue
            pledges.setdefault((row.backer, project_id), Pledge()).add(row)
    return pledges


def _parse_backings(
    batch: list[Record], columns: dict[str, str], report: ImportReport
) -> list[BackingRow]:
    rows = []
    for line, cells in batch:
        try:
            rows.append(_backing_row(line, cells, columns))
        except BadRow as error:
            report.skip(line, str(error))
    return rows


def _backing_row(
    line: int, cells: dict[str, str], columns: dict[str, str]
) -> BackingRow:
    def cell(name: str) -> str:
        return (cells.get(columns[name]) or "").strip() if name in columns else ""

    backer, project = cell("backer"), cell("project")
    if not backer:
        raise BadRow("the backing has no backer")
    if not project:
        raise BadRow("the backing has no project")
    if len(backer) > _max_length(Backer, "key"):
        raise BadRow(f'backer "{backer[:40]}..." is too long')

    state = cell("state").lower()
    if state not in BACKING_STATES:
        raise BadRow(f'state "{cell("state")}" is not a backing state')
    amount = _decimal(cell("amount"), columns.get("amount", "amount"))
    return BackingRow(
        line=line,
        backer=backer,
        project=project,
        amount=_fit_decimal(amount, Backing, "amount"),
        state=BACKING_STATES[state],
        backed_at=_moment(cell("backed_at"), columns.get("backed_at", "time")),
    )


def _resolve_projects(refs: set[str], known: dict[str, int | None]) -> None:
    """Add the project id of each new reference to `known`, None if none.

    A reference is a project key or, failing that, an external id.
    """
    refs = refs - known.keys()
    for chunk in _chunks(sorted(refs)):
        known.update(Project.objects.filter(key__in=chunk).values_list("key", "pk"))
    missing = sorted(refs - known.keys())
    for chunk in _chunks(missing):
        # Newest first, so that when two projects share an external id the
        # oldest one wins, the same one on every run.
        rows = Project.objects.filter(external_id__in=chunk).order_by("-pk")
        known.update(rows.values_list("external_id", "pk"))
    known.update((ref, None) for ref in refs - known.keys())


def _write_backings(pledges: Pledges, report: ImportReport, batch_size: int) -> None:
    backer_ids = _backer_ids(sorted({backer for backer, _ in pledges}), report)
    items = sorted(pledges.items())
    for start in range(0, len(items), batch_size):
        batch = {
            (backer_ids[backer], project_id): pledge
            for (backer, project_id), pledge in items[start : start + batch_size]
        }
        _upsert_backings(batch, report)


def _backer_ids(keys: list[str], report: ImportReport) -> dict[str, int]:
    """Map backer keys to ids, creating the backers not yet stored."""
    ids = _backers_by_key(keys)
    new = [Backer(key=key) for key in keys if key not in ids]
    Backer.objects.bulk_create(new, batch_size=500)
    report.backers_created += len(new)
    # Not every database hands back ids from a bulk insert; look them up.
    ids.update(_backers_by_key([backer.key for backer in new]))
    return ids


def _backers_by_key(keys: list[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for chunk in _chunks(keys):
        ids.update(Backer.objects.filter(key__in=chunk).values_list("key", "pk"))
    return ids


def _upsert_backings(
    batch: dict[tuple[int, int], Pledge], report: ImportReport
) -> None:
    existing = _backings_for(set(batch))
    created: list[Backing] = []
    changed: list[Backing] = []
    fields: set[str] = set()

    for (backer_id, project_id), pledge in batch.items():
        report.summed += pledge.rows - 1
        backing = existing.get((backer_id, project_id))
        if backing is None:
            created.append(
                Backing(backer_id=backer_id, project_id=project_id, **pledge.values())
            )
        elif changes := _assign(backing, pledge.values()):
            changed.append(backing)
            fields |= changes

    report.created += len(created)
    report.updated += len(changed)
    report.unchanged += len(batch) - len(created) - len(changed)
    _save(Backing, created, changed, fields)


def _backings_for(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], Backing]:
    found: dict[tuple[int, int], Backing] = {}
    for chunk in _chunks(sorted({backer_id for backer_id, _ in pairs})):
        for backing in Backing.objects.filter(backer_id__in=chunk):
            pair = (backing.backer_id, backing.project_id)
            if pair in pairs:
                found[pair] = backing
    return found
