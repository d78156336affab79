"""Demo data: believable crowdfunding projects, backers and pledges.

Plain functions that draw rows from a numpy Generator. The module imports
nothing from Django, so the benchmark reuses its vocabulary and its skew
without a database; the generate_demo_data command writes what
`generate` returns.

The shape follows what a crowdfunding site looks like from the inside:
a few projects draw most backers, most backers back a handful of
projects in one to three favourite categories, and a pledge is a few
tens of dollars.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

# Every key the demo writes starts with this, so that demo rows never clash
# with imported ones and --flush can find them.
KEY_PREFIX = "demo-"

# Project and backing states, spelled as the models' choices; this module
# cannot import the models, and the command converts through the enums.
LIVE, SUCCESSFUL, FAILED, CANCELED = "live", "successful", "failed", "canceled"
PENDING, COLLECTED, REFUNDED = "pending", "collected", "refunded"
CANCELLED, DROPPED = "cancelled", "dropped"

LIVE_SHARE = 0.35
CANCELED_SHARE = 0.07  # of the projects that have ended
WITHDRAWN_SHARE = 0.03  # pledges a backer cancels before the deadline
REFUNDED_SHARE = 0.02  # of the pledges a successful project collects
DROPPED_SHARE = 0.02  # cards that fail when a successful project charges
BACKINGS_PER_BACKER = 5.0
# Pareto shape of project popularity (smaller is more skewed) and the
# log-normal spread of how many projects a backer backs.
POPULARITY_TAIL = 1.2
ACTIVITY_SIGMA = 1.0
MIN_GOAL = 100

CAMPAIGN_DAYS = (14, 21, 30, 30, 30, 30, 35, 45, 60)
ENDED_WITHIN_DAYS = 4 * 365


def _words(text: str) -> tuple[str, ...]:
    """Split a comma-separated word list; vocabularies read better as prose."""
    return tuple(word.strip() for word in text.split(","))


@dataclass(frozen=True)
class Category:
    name: str
    share: float  # percent of projects, after the site's category mix
    pledge_median: float  # dollars
    subcategories: tuple[str, ...]
    kinds: tuple[str, ...]  # what gets made: "card game", "debut album"
    traits: tuple[str, ...]
    themes: tuple[str, ...]
    features: tuple[str, ...]  # what the rewards and the budget buy
    audiences: tuple[str, ...]
    studios: tuple[str, ...]  # how teams in this field name themselves


CATEGORIES: tuple[Category, ...] = (
    Category(
        name="Art",
        share=7.5,
        pledge_median=40,
        subcategories=_words(
            "Painting, Illustration, Sculpture, Ceramics, Public Art, "
            "Digital Art, Mixed Media"
        ),
        kinds=_words(
            "mural, print series, sculpture, gallery show, sketchbook, "
            "portrait series, installation"
        ),
        traits=_words(
            "large-scale, hand-pulled, watercolour, abstract, figurative, oil-on-canvas"
        ),
        themes=_words(
            "the city's buried rivers, migrating birds, "
            "the neighbourhood's elders, light on tidal flats, "
            "industrial ruins, grief and repair"
        ),
        features=_words(
            "signed giclee prints, original canvases, a studio open day, "
            "postcard sets, an artist talk, limited-edition etchings"
        ),
        audiences=_words("collectors, the neighbourhood, first-time collectors"),
        studios=_words("Studio, Art Collective, Gallery"),
    ),
    Category(
        name="Comics",
        share=3,
        pledge_median=30,
        subcategories=_words("Comic Books, Graphic Novels, Webcomics, Anthologies"),
        kinds=_words(
            "graphic novel, comic series, webcomic collection, "
            "comics anthology, one-shot comic, manga volume"
        ),
        traits=_words(
            "full-colour, black-and-white, all-ages, noir, hand-lettered, serialized"
        ),
        themes=_words(
            "a detective who hears ghosts, superheroes in retirement, "
            "a witch who runs a bakery, robots on strike, "
            "a border town at night, teenage monster hunters"
        ),
        features=_words(
            "variant covers, a sketch cover, signed bookplates, pin-up pages, "
            "enamel pins, a hardcover edition"
        ),
        audiences=_words("comics fans, manga readers, readers of the webcomic"),
        studios=_words("Comics, Ink, Panels"),
    ),
    Category(
        name="Crafts",
        share=2.5,
        pledge_median=30,
        subcategories=_words(
            "Knitting, Woodworking, Pottery, Embroidery, Candles, Weaving, Stationery"
        ),
        kinds=_words(
            "knitting pattern book, embroidery kit, candle line, "
            "woodworking kit, mug set, weaving loom, quilt pattern"
        ),
        traits=_words(
            "handmade, hand-dyed, beginner-friendly, heirloom, natural-fibre, "
            "wheel-thrown"
        ),
        themes=_words(
            "meadow wildflowers, cabin winters, sea glass colours, "
            "old farmhouse patterns, forest mushrooms"
        ),
        features=_words(
            "hand-dyed yarn, walnut hoops, soy wax, video lessons, "
            "pre-cut fabric, linen thread"
        ),
        audiences=_words("knitters, beginners, crafters, makers"),
        studios=_words("Handmade, Workshop, Fibre Co."),
    ),
    Category(
        name="Dance",
        share=1,
        pledge_median=35,
        subcategories=_words("Performances, Workshops, Residencies, Spaces"),
        kinds=_words(
            "dance performance, choreography residency, dance workshop, "
            "touring dance show, dance film, rehearsal studio"
        ),
        traits=_words("contemporary, ballet, hip-hop, flamenco, barefoot, tap"),
        themes=_words(
            "bodies and memory, the language of the street, tides and gravity, "
            "stories of migration, the rhythm of the factory floor"
        ),
        features=_words(
            "live musicians, a sprung floor, open rehearsals, "
            "choreography classes, a touring season, new costumes"
        ),
        audiences=_words("dancers, young dancers, audiences new to dance"),
        studios=_words("Dance Company, Dance Collective, Movement Lab"),
    ),
    Category(
        name="Design",
        share=8,
        pledge_median=70,
        subcategories=_words(
            "Product Design, Graphic Design, Typography, Toys, Architecture, "
            "Interactive Design"
        ),
        kinds=_words(
            "everyday backpack, desk organizer, typeface family, wallet, "
            "modular shelf, magnetic building toy, desk lamp, fountain pen"
        ),
        traits=_words("minimalist, modular, titanium, magnetic, ergonomic, slim"),
        themes=_words(
            "a cleaner desk, carrying less, small apartments, everyday carry, "
            "the daily commute"
        ),
        features=_words(
            "anodized aluminium, a lifetime warranty, recycled fabric, "
            "a magnetic closure, machined brass, weatherproof zippers"
        ),
        audiences=_words("commuters, travellers, designers, minimalists"),
        studios=_words("Design, Design Studio, Goods"),
    ),
    Category(
        name="Fashion",
        share=6,
        pledge_median=60,
        subcategories=_words(
            "Apparel, Accessories, Footwear, Jewelry, Ready-to-wear, Childrenswear"
        ),
        kinds=_words(
            "sneaker, merino hoodie, rain jacket, linen shirt, "
            "sock collection, ring collection, selvedge jeans"
        ),
        traits=_words(
            "sustainable, organic cotton, vegan leather, tailored, "
            "ethically made, unisex"
        ),
        themes=_words(
            "a capsule wardrobe, slow fashion, washing less, city cycling, "
            "clothes that last a decade"
        ),
        features=_words(
            "recycled wool, hand-stitched seams, natural dyes, extended sizes, "
            "a repair programme, deadstock fabric"
        ),
        audiences=_words("conscious shoppers, cyclists, slow fashion fans"),
        studios=_words("Apparel, Atelier, Clothing Co."),
    ),
    Category(
        name="Film & Video",
        share=17,
        pledge_median=50,
        subcategories=_words(
            "Documentary, Shorts, Narrative Film, Animation, Horror, "
            "Webseries, Comedy, Science Fiction"
        ),
        kinds=_words(
            "feature documentary, short film, horror feature, animated short, "
            "web series, indie feature"
        ),
        traits=_words(
            "micro-budget, stop-motion, independent, feature-length, "
            "found-footage, cinematic"
        ),
        themes=_words(
            "a family farm in its last season, a projectionist's last reel, "
            "a small-town wrestling league, two sisters and a haunted cabin, "
            "the last video rental store"
        ),
        features=_words(
            "festival submissions, an original score, colour grading, "
            "a premiere screening, a producer credit, a digital download"
        ),
        audiences=_words("film lovers, festival audiences, horror fans"),
        studios=_words("Films, Pictures, Productions"),
    ),
    Category(
        name="Food",
        share=6.5,
        pledge_median=45,
        subcategories=_words(
            "Restaurants, Food Trucks, Small Batch, Drinks, Cookbooks, Farms"
        ),
        kinds=_words(
            "food truck, bakery, hot sauce, cookbook, coffee roastery, "
            "craft brewery, cider house, ramen shop"
        ),
        traits=_words(
            "small-batch, wood-fired, farm-to-table, fermented, plant-based, "
            "gluten-free"
        ),
        themes=_words(
            "our grandmother's recipes, the flavours of Oaxaca, "
            "sourdough at dawn, our first brick-and-mortar kitchen, "
            "heirloom chillies"
        ),
        features=_words(
            "a wood-fired oven, tasting menus, a cooking class, "
            "jars of house pickles, a founding-member mug, a seasonal menu"
        ),
        audiences=_words("food lovers, coffee drinkers, home cooks"),
        studios=_words("Kitchen, Bakery, Provisions"),
    ),
    Category(
        name="Games",
        share=9,
        pledge_median=60,
        subcategories=_words(
            "Tabletop Games, Video Games, Playing Cards, Puzzles, "
            "Mobile Games, Live Games"
        ),
        kinds=_words(
            "card game, dice game, dungeon crawler, deck-builder, "
            "miniatures game, roleplaying game, board game, roguelike"
        ),
        traits=_words("co-op, tabletop, solo, competitive, legacy, strategic"),
        themes=_words(
            "rival guilds, a sunken kingdom, a dragon's hoard, space pirates, "
            "a clockwork city, feuding wizard schools"
        ),
        features=_words(
            "painted miniatures, custom dice, a modular board, a solo mode, "
            "a campaign book, linen-finish cards"
        ),
        audiences=_words("game nights, families, dice fans, strategy fans"),
        studios=_words("Games, Game Studio, Tabletop"),
    ),
    Category(
        name="Journalism",
        share=1.5,
        pledge_median=30,
        subcategories=_words("Audio, Print, Web, Video, Photo"),
        kinds=_words(
            "investigative series, local newsroom, reporting project, "
            "news podcast, news magazine, data journalism project"
        ),
        traits=_words(
            "independent, investigative, nonprofit, reader-funded, local, long-form"
        ),
        themes=_words(
            "water contracts in the county, the housing crisis, "
            "rural hospitals closing, police records, public school funding"
        ),
        features=_words(
            "public records requests, a weekly newsletter, "
            "fact-checked reporting, a reporter's salary, open data, "
            "court filings"
        ),
        audiences=_words("local readers, local voters, subscribers"),
        studios=_words("News, Report, Media"),
    ),
    Category(
        name="Music",
        share=13,
        pledge_median=35,
        subcategories=_words(
            "Indie Rock, Jazz, Country & Folk, Hip-Hop, Classical Music, "
            "Electronic Music, Metal, Pop"
        ),
        kinds=_words("debut album, vinyl pressing, EP, tour, live record, music video"),
        traits=_words("acoustic, orchestral, lo-fi, soulful, analog, live-to-tape"),
        themes=_words(
            "songs written on the road, a breakup and a long winter, "
            "the band's hometown, ten years of touring, "
            "the sound of the desert"
        ),
        features=_words(
            "signed vinyl, a house concert, studio time, a lyric booklet, "
            "a download of the album, a tour poster"
        ),
        audiences=_words("fans of the band, vinyl collectors, listeners"),
        studios=_words("Records, Band, Quartet, Trio"),
    ),
    Category(
        name="Photography",
        share=3,
        pledge_median=45,
        subcategories=_words("Photobooks, Fine Art, Nature, People, Places, Animals"),
        kinds=_words(
            "photobook, photo exhibition, portrait project, landscape series, "
            "photo zine"
        ),
        traits=_words(
            "medium-format, monochrome, large-format, analog film, wildlife, street"
        ),
        themes=_words(
            "the last glaciers, night shifts in the city, island fishermen, "
            "abandoned cinemas, wolves of the north"
        ),
        features=_words(
            "archival pigment prints, a clothbound photobook, darkroom prints, "
            "a signed print, a gallery opening, a lay-flat binding"
        ),
        audiences=_words("photography lovers, print collectors"),
        studios=_words("Photo, Photography, Camera Club"),
    ),
    Category(
        name="Publishing",
        share=10.5,
        pledge_median=30,
        subcategories=_words(
            "Fiction, Children's Books, Poetry, Nonfiction, Zines, "
            "Young Adult, Art Books, Literary Journals"
        ),
        kinds=_words(
            "novel, picture book, poetry collection, zine, literary journal, "
            "short story collection, field guide"
        ),
        traits=_words(
            "illustrated, debut, bilingual, hardcover, first-edition, clothbound"
        ),
        themes=_words(
            "a girl who maps the stars, a library at the edge of the world, "
            "a family of foxes, the letters of a forgotten poet, "
            "growing up by the sea"
        ),
        features=_words(
            "a signed first edition, a printed bookmark, an audiobook, "
            "an ebook edition, a library donation, sprayed edges"
        ),
        audiences=_words("readers, young readers, poetry lovers, book clubs"),
        studios=_words("Press, Books, Publishing"),
    ),
    Category(
        name="Technology",
        share=8.5,
        pledge_median=90,
        subcategories=_words(
            "Gadgets, Hardware, Wearables, 3D Printing, Apps, Robots, Sound, "
            "DIY Electronics"
        ),
        kinds=_words(
            "desktop printer, smart ring, wireless earbuds, drone, robot kit, "
            "mechanical keyboard, e-bike conversion kit, "
            "portable power station"
        ),
        traits=_words(
            "open-source, wireless, smart, solar-powered, app-controlled, programmable"
        ),
        themes=_words(
            "makers at home, faster prototyping, a quieter commute, "
            "home automation, learning to code"
        ),
        features=_words(
            "a companion app, USB-C charging, an open API, "
            "a swappable battery, a CNC-machined frame, firmware updates"
        ),
        audiences=_words("makers, engineers, students, tinkerers"),
        studios=_words("Labs, Technologies, Robotics"),
    ),
    Category(
        name="Theater",
        share=3,
        pledge_median=40,
        subcategories=_words(
            "Plays, Musical, Immersive, Experimental, Festivals, Spaces"
        ),
        kinds=_words(
            "new play, musical, immersive production, fringe show, "
            "touring production, puppet show"
        ),
        traits=_words(
            "original, one-act, two-hander, immersive, off-Broadway, physical"
        ),
        themes=_words(
            "a family reunion gone wrong, the last night of a dive bar, "
            "a ghost in the rehearsal room, suffragettes on the march, "
            "a sailor's return"
        ),
        features=_words(
            "opening night tickets, a cast recording, a backstage tour, "
            "a script signed by the cast, set building, a preview performance"
        ),
        audiences=_words("theatregoers, the festival audience, families"),
        studios=_words("Theatre Company, Players, Stage"),
    ),
)

# Projects and creators get invented names built from two halves.
TITLE_HEADS = _words(
    "Iron, Ember, Salt, Ash, Moss, Star, Copper, Hollow, Raven, Tide, North, "
    "Glass, Stone, Willow, Cinder, Silver, Frost, Amber, Bramble, Oak, "
    "Lantern, Thistle, Harbor, Fern"
)
TITLE_TAILS = _words(
    "bark, fall, marsh, light, wood, reach, vale, hold, crest, wick, field, "
    "haven, moor, spire, gate, brook, wind, song, fen, mere"
)
FIRST_NAMES = _words(
    "Ada, Bea, Cal, Dara, Eli, Fen, Gus, Hana, Ines, Jude, Kofi, Lena, Mateo, "
    "Aiko, Bruno, Chidi, Dina, Esme, Farid, Greta, Hugo, Ilse, Jonah, Kira, "
    "Nia, Omar, Priya, Quinn, Rosa, Sami, Tove, Uma, Vik, Wren, Yara, Zeke, "
    "Maya, Noor, Theo, Iris, Felix"
)
LAST_NAMES = _words(
    "Marsh, Okafor, Lindqvist, Reyes, Tanaka, Novak, Haddad, Byrne, Castillo, "
    "Duarte, Eriksen, Fontaine, Grant, Holm, Ibarra, Jensen, Kowalski, Laine, "
    "Abara, Brandt, Cole, Dvorak, Estrada, Fisher, Gallo, Hughes, Iqbal, "
    "Moreau, Nakamura, Osei, Pereira, Quist, Rossi, Silva, Thorne, Varga, "
    "Whitlock"
)

NAME_TEMPLATES = (
    "{title}: A {Trait} {Kind}",
    "The {title} {Kind}",
    "{title} - A {Kind} About {Theme}",
    "{title}: {Trait} {Kind} for {Audience}",
    "{title} ({Trait} {Kind})",
)
BLURB_TEMPLATES = (
    "A {trait} {kind} about {theme}, with {feature} and {other}.",
    "{Trait} {kind} for {audience}: {theme}, {feature} and {other}.",
    "We are making a {trait} {kind} about {theme}. Rewards include "
    "{feature} and {other}.",
    "Help us bring {theme} to life as a {trait} {kind}, complete with {feature}.",
)
# "a" followed by a vowel, except where the vowel sounds like "you" or "won".
AN_BEFORE = re.compile(r"\b([Aa]) (?=[aeiouAEIOU])(?!(?i:uni|use|one))")
SMALL_WORDS = frozenset(
    {"a", "an", "and", "at", "by", "for", "in", "of", "on", "the", "to", "with"}
)


@dataclass(frozen=True)
class ProjectText:
    name: str
    blurb: str
    category: str
    subcategory: str


@dataclass(frozen=True)
class DemoProject:
    key: str
    name: str
    blurb: str
    category: str
    subcategory: str
    creator_name: str
    creator_key: str
    state: str
    goal: int  # whole US dollars, as are all demo amounts
    pledged: int
    backers_count: int
    launched_at: datetime
    deadline: datetime


@dataclass(frozen=True)
class DemoBacker:
    key: str
    name: str


@dataclass(frozen=True)
class DemoBacking:
    backer: int  # index into DemoData.backers
    project: int  # index into DemoData.projects
    amount: int
    state: str
    backed_at: datetime


@dataclass(frozen=True)
class DemoData:
    projects: list[DemoProject]
    backers: list[DemoBacker]
    backings: list[DemoBacking]


@dataclass(frozen=True)
class _Creators:
    of_project: np.ndarray  # creator index per project
    names: list[str]


@dataclass(frozen=True)
class _Schedule:
    state: np.ndarray  # LIVE or CANCELED; "" for ended, decided by pledges
    launched: np.ndarray  # seconds from the anchor
    deadline: np.ndarray
    exposure: np.ndarray  # share of its eventual backers a project has


@dataclass(frozen=True)
class _Pledges:
    backer: np.ndarray  # one entry per backing
    project: np.ndarray
    amount: np.ndarray
    withdrawn: np.ndarray  # the backer cancelled before the deadline
    pledged: np.ndarray  # one entry per project: dollars the page shows
    counts: np.ndarray  # backers the page shows


def generate(
    seed: int, n_projects: int, n_backers: int | None, now: datetime
) -> DemoData:
    """Return the demo rows for `seed`; the same seed gives the same rows.

    Dates are anchored to midnight (UTC) of `now`'s day, so a live project
    stays open for at least a day after `now`. Takes about a second and
    some tens of MB for 3000 projects.
    """
    if n_projects < len(CATEGORIES):
        needed = len(CATEGORIES)
        raise ValueError(f"need at least {needed} projects, one per category")
    n_backers = n_backers or 5 * n_projects
    rng = np.random.default_rng(seed)
    anchor = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)

    categories = draw_categories(rng, n_projects)
    texts = draw_texts(rng, categories)
    creators = _draw_creators(rng, categories)
    schedule = _draw_schedule(rng, n_projects)

    pledges = _draw_pledges(rng, categories, schedule, n_backers)
    states = _final_states(rng, schedule.state, pledges)
    goals = _goals(rng, states, pledges.pledged)

    projects = _project_rows(texts, creators, schedule, states, goals, pledges, anchor)
    backings = _backing_rows(rng, schedule, states, pledges, anchor)
    backers = _backer_rows(rng, n_backers)
    return DemoData(projects, backers, backings)


def draw_categories(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return a category index per project, every category at least once.

    Counts follow the category shares exactly (largest remainders), so
    only their order is random.
    """
    shares = np.array([c.share for c in CATEGORIES], dtype=np.float64)
    raw = shares / shares.sum() * n
    sizes = np.maximum(1, np.floor(raw)).astype(np.int64)
    remainder = raw - np.floor(raw)
    missing = max(0, n - int(sizes.sum()))
    for index in np.argsort(-remainder, kind="stable")[:missing]:
        sizes[index] += 1
    while sizes.sum() > n:
        sizes[np.argmax(sizes)] -= 1
    return rng.permutation(np.repeat(np.arange(len(CATEGORIES)), sizes))


def draw_texts(rng: np.random.Generator, categories: np.ndarray) -> list[ProjectText]:
    """Return a name, blurb and subcategory per project, in its category's words.

    Pure Python, about 10 microseconds a project.
    """
    return [_project_text(rng, CATEGORIES[c]) for c in categories.tolist()]


def _project_text(rng: np.random.Generator, category: Category) -> ProjectText:
    words = {
        "title": _pick(rng, TITLE_HEADS) + _pick(rng, TITLE_TAILS),
        "trait": _pick(rng, category.traits),
        "kind": _pick(rng, category.kinds),
        "theme": _pick(rng, category.themes),
        "audience": _pick(rng, category.audiences),
    }
    features = rng.choice(len(category.features), size=2, replace=False)
    words["feature"] = category.features[features[0]]
    words["other"] = category.features[features[1]]
    capitals = {key.capitalize(): _headline(text) for key, text in words.items()}
    name = _pick(rng, NAME_TEMPLATES).format(**words, **capitals)
    blurb = _pick(rng, BLURB_TEMPLATES).format(**words, **capitals)
    return ProjectText(
        name=_articles(name),
        blurb=_articles(blurb[0].upper() + blurb[1:]),
        category=category.name,
        subcategory=_pick(rng, category.subcategories),
    )


def draw_popularity(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return a Pareto-tailed weight per project: a few draw most backers."""
    return 1.0 + rng.pareto(POPULARITY_TAIL, size=n)


def draw_backings(
    rng: np.random.Generator,
    project_category: np.ndarray,
    popularity: np.ndarray,
    n_backers: int,
    per_backer: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Return (backer, project) index pairs, unique and sorted.

    Backer activity is log-normal with mean near `per_backer`; each backer
    keeps nine in ten pledges within one to three favourite categories and
    picks projects there by popularity. Repeated pairs are dropped, so
    slightly fewer than n_backers * per_backer pairs come back.
    """
    n_projects = len(project_category)
    sigma = ACTIVITY_SIGMA
    mu = np.log(per_backer) - sigma**2 / 2
    activity = rng.lognormal(mu, sigma, n_backers)
    most = max(1, n_projects // 2)
    counts = np.clip(np.rint(activity), 1, most).astype(np.int64)
    backer = np.repeat(np.arange(n_backers), counts)

    slot_category = _slot_categories(
        rng, project_category, popularity, backer, n_backers
    )
    project = np.empty(len(backer), dtype=np.int64)
    for category in range(len(CATEGORIES)):
        slots = np.flatnonzero(slot_category == category)
        members = np.flatnonzero(project_category == category)
        if not len(slots):
            continue
        cumulative = np.cumsum(popularity[members])
        picks = rng.random(len(slots)) * cumulative[-1]
        chosen = np.searchsorted(cumulative, picks, side="right")
        project[slots] = members[np.minimum(chosen, len(members) - 1)]

    pairs = np.unique(backer * np.int64(n_projects) + project)
    return pairs // n_projects, pairs % n_projects


def _slot_categories(
    rng: np.random.Generator,
    project_category: np.ndarray,
    popularity: np.ndarray,
    backer: np.ndarray,
    n_backers: int,
) -> np.ndarray:
    # A category attracts backers in proportion to the pull of its projects.
    pull = np.bincount(project_category, weights=popularity, minlength=len(CATEGORIES))
    cumulative = np.cumsum(pull / pull.sum())

    def draw(size: int | tuple[int, int]) -> np.ndarray:
        picks = np.searchsorted(cumulative, rng.random(size), side="right")
        return np.minimum(picks, len(CATEGORIES) - 1)

    favourites = draw((n_backers, 3))
    n_favourites = rng.choice([1, 2, 3], size=n_backers, p=[0.4, 0.4, 0.2])
    which = (rng.random(len(backer)) * n_favourites[backer]).astype(np.int64)
    chosen = favourites[backer, which]
    stray = rng.random(len(backer)) < 0.1
    chosen[stray] = draw(int(stray.sum()))
    return chosen


def draw_amounts(rng: np.random.Generator, medians: np.ndarray) -> np.ndarray:
    """Return log-normal pledges in whole dollars around the given medians.

    Pledges of $20 and up are rounded to $5, as reward tiers are.
    """
    raw = rng.lognormal(np.log(medians), 0.85)
    tiered = np.where(raw >= 20, np.rint(raw / 5) * 5, np.rint(raw))
    return np.clip(tiered, 1, 10_000)


def _draw_creators(rng: np.random.Generator, categories: np.ndarray) -> _Creators:
    # Creators work in one category; a run of projects in that category
    # belongs to one creator, most runs being a single project.
    of_project = np.empty(len(categories), dtype=np.int64)
    names: list[str] = []
    for category in range(len(CATEGORIES)):
        members = np.flatnonzero(categories == category)
        start = 0
        while start < len(members):
            size = int(rng.geometric(0.6))
            of_project[members[start : start + size]] = len(names)
            names.append(_creator_name(rng, CATEGORIES[category]))
            start += size
    return _Creators(of_project, names)


def _creator_name(rng: np.random.Generator, category: Category) -> str:
    if rng.random() < 0.3:
        title = _pick(rng, TITLE_HEADS) + _pick(rng, TITLE_TAILS)
        return f"{title} {_pick(rng, category.studios)}"
    return f"{_pick(rng, FIRST_NAMES)} {_pick(rng, LAST_NAMES)}"


def _draw_schedule(rng: np.random.Generator, n: int) -> _Schedule:
    day = 86_400.0
    duration = rng.choice(CAMPAIGN_DAYS, size=n) * day
    live = rng.random(n) < LIVE_SHARE
    canceled = ~live & (rng.random(n) < CANCELED_SHARE)
    hour = rng.integers(0, 24, size=n) * 3600.0

    # A live project launched at most duration - 2 days before the anchor,
    # so its deadline lies more than a day past the anchor, after `now`.
    elapsed = np.floor(rng.random(n) * (duration / day - 1)) * day + hour
    ended = -day - np.floor(rng.random(n) * ENDED_WITHIN_DAYS) * day - hour
    launched = np.where(live, -elapsed, ended - duration)
    deadline = launched + duration

    # A live project has reached only part of its audience; a canceled one
    # stopped early.
    exposure = np.where(live, np.maximum(elapsed / duration, 0.05), 1.0)
    exposure = np.where(canceled, 0.15, exposure)
    state = np.where(live, LIVE, np.where(canceled, CANCELED, ""))
    return _Schedule(state, launched, deadline, exposure)


def _draw_pledges(
    rng: np.random.Generator,
    categories: np.ndarray,
    schedule: _Schedule,
    n_backers: int,
) -> _Pledges:
    popularity = draw_popularity(rng, len(categories)) * schedule.exposure
    backer, project = draw_backings(
        rng, categories, popularity, n_backers, BACKINGS_PER_BACKER
    )
    medians = np.array([c.pledge_median for c in CATEGORIES])
    amount = draw_amounts(rng, medians[categories[project]])
    withdrawn = rng.random(len(project)) < WITHDRAWN_SHARE

    # A canceled project shows what was pledged when it was called off;
    # any other shows every pledge not withdrawn, refunds included.
    counted = ~withdrawn | (schedule.state[project] == CANCELED)
    n = len(categories)
    pledged = np.bincount(project, weights=amount * counted, minlength=n)
    counts = np.bincount(project, weights=counted, minlength=n)
    return _Pledges(backer, project, amount, withdrawn, pledged, counts)


def _final_states(
    rng: np.random.Generator, state: np.ndarray, pledges: _Pledges
) -> np.ndarray:
    # More backers, better odds: a project with eight backers has even
    # chances, one with eighty nearly always reaches its goal.
    counts = pledges.counts
    lucky = rng.random(len(state)) < counts / (counts + 8)
    succeeds = lucky & (pledges.pledged >= MIN_GOAL)
    ended = state == ""
    final = state.astype(object)
    final[ended & succeeds] = SUCCESSFUL
    final[ended & ~succeeds] = FAILED
    return final.astype(str)


def _goals(
    rng: np.random.Generator, states: np.ndarray, pledged: np.ndarray
) -> np.ndarray:
    # The goal follows from the share of it that was pledged: successful
    # projects mostly end between 100% and 300%, failed ones far short.
    n = len(states)
    funded = 1.0 + rng.lognormal(np.log(0.3), 0.9, size=n)
    short = np.clip(rng.beta(0.8, 3.0, size=n), 0.01, 0.95)
    underway = rng.uniform(0.05, 1.6, size=n)
    unbacked = _round_goal(rng.lognormal(np.log(5000), 0.8, size=n), np.ceil)

    successful = states == SUCCESSFUL
    ratio = np.select([successful, states == LIVE], [funded, underway], short)
    rounded = np.where(
        successful,
        _round_goal(pledged / ratio, np.floor),
        _round_goal(pledged / ratio, np.ceil),
    )
    goals = np.maximum(np.where(pledged > 0, rounded, unbacked), MIN_GOAL)

    # Rounding must not lift a failed project to its goal.
    failed = states == FAILED
    goals[failed] = np.maximum(goals[failed], pledged[failed] + 1)
    return goals.astype(np.int64)


def _round_goal(value: np.ndarray, rounding: np.ufunc) -> np.ndarray:
    """Round to two significant figures, as creators set goals."""
    safe = np.maximum(value, 1.0)
    step = 10.0 ** np.maximum(np.floor(np.log10(safe)) - 1, 0)
    return rounding(safe / step) * step


def _project_rows(
    texts: list[ProjectText],
    creators: _Creators,
    schedule: _Schedule,
    states: np.ndarray,
    goals: np.ndarray,
    pledges: _Pledges,
    anchor: datetime,
) -> list[DemoProject]:
    creator_keys = unique_slugs(creators.names, prefix=KEY_PREFIX)
    of_project = creators.of_project.tolist()
    keys = _numbered(
        [
            f"{creator_keys[c]}/{slugify(text.name)}"
            for c, text in zip(of_project, texts, strict=True)
        ]
    )
    return [
        DemoProject(
            key=keys[i],
            name=text.name,
            blurb=text.blurb,
            category=text.category,
            subcategory=text.subcategory,
            creator_name=creators.names[of_project[i]],
            creator_key=creator_keys[of_project[i]],
            state=str(states[i]),
            goal=int(goals[i]),
            pledged=int(pledges.pledged[i]),
            backers_count=int(pledges.counts[i]),
            launched_at=_at(anchor, schedule.launched[i]),
            deadline=_at(anchor, schedule.deadline[i]),
        )
        for i, text in enumerate(texts)
    ]


def _backing_rows(
    rng: np.random.Generator,
    schedule: _Schedule,
    states: np.ndarray,
    pledges: _Pledges,
    anchor: datetime,
) -> list[DemoBacking]:
    project = pledges.project
    launched = schedule.launched[project]
    closed = np.minimum(schedule.deadline[project], 0.0)
    share = rng.random(len(project))
    seconds = np.floor(launched + share * (closed - launched))
    backing_states = _backing_states(rng, states[project], pledges.withdrawn)

    return [
        DemoBacking(backer, project, amount, state, _at(anchor, t))
        for backer, project, amount, state, t in zip(
            pledges.backer.tolist(),
            project.tolist(),
            pledges.amount.astype(np.int64).tolist(),
            backing_states.tolist(),
            seconds.tolist(),
            strict=True,
        )
    ]


def _backing_states(
    rng: np.random.Generator, project_state: np.ndarray, withdrawn: np.ndarray
) -> np.ndarray:
    # The site never charges pledges to a project that failed: they stay
    # pending, counted in its pledged total and still a choice the backer
    # made. A canceled project releases every pledge.
    draw = rng.random(len(project_state))
    charged = np.select(
        [draw < REFUNDED_SHARE, draw < REFUNDED_SHARE + DROPPED_SHARE],
        [REFUNDED, DROPPED],
        COLLECTED,
    )
    states = np.where(project_state == SUCCESSFUL, charged, PENDING)
    states = np.where(withdrawn, CANCELLED, states)
    return np.where(project_state == CANCELED, CANCELLED, states)


def _backer_rows(rng: np.random.Generator, n: int) -> list[DemoBacker]:
    first = rng.integers(len(FIRST_NAMES), size=n).tolist()
    last = rng.integers(len(LAST_NAMES), size=n).tolist()
    return [
        DemoBacker(
            key=f"{KEY_PREFIX}backer-{i:07d}",
            name=f"{FIRST_NAMES[f]} {LAST_NAMES[g][0]}.",
        )
        for i, (f, g) in enumerate(zip(first, last, strict=True))
    ]


def unique_slugs(names: Sequence[str], prefix: str = "") -> list[str]:
    """Return prefix + slug per name, numbered from a slug's second use on."""
    return _numbered([prefix + slugify(name) for name in names])


def _numbered(keys: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    numbered = []
    for key in keys:
        seen[key] = seen.get(key, 0) + 1
        numbered.append(key if seen[key] == 1 else f"{key}-{seen[key]}")
    return numbered


def slugify(text: str) -> str:
    """Lowercase ASCII words and hyphens: "Co-op Crawler" -> "co-op-crawler"."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _at(anchor: datetime, seconds: float) -> datetime:
    return anchor + timedelta(seconds=float(seconds))


def _headline(text: str) -> str:
    words = text.split(" ")
    return " ".join(
        word if (i and word in SMALL_WORDS) else word[:1].upper() + word[1:]
        for i, word in enumerate(words)
    )


def _articles(text: str) -> str:
    """Write "an" before a vowel sound: "a analog EP" -> "an analog EP"."""
    return AN_BEFORE.sub(r"\1n ", text)


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(len(options)))]
