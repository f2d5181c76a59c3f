"""The duplicate finder: which customers are probably one, and how sure we are.

Candidates meet in the database, never by loading the customer base into Python:
- the same contact phone (phone or other phone, stored E.164) on two customers;
- the same contact email;
- the same company-name key (core.names) in the same province + city;
- names alike (rapidfuzz) within a block of one province + city + the key's first characters.
A value shared by more than MAX_SHARED customers (a switchboard number, info@ addresses) says
nothing about duplicates and is skipped. Linked customers form groups (connected components);
pairs someone dismissed as "not duplicates" never link. Each pair is scored 0–100 by
combining its evidence (see `pair_score`); a group's score is its strongest pair's.

Memory of a scan (`scan`): one 8-byte slot per customer id (the union-find array), the
evidence of each group found (a best score and a few shared reason objects), and at most one
name block at a time; rows stream from server-side cursors in batches of BATCH.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import time
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from django.db import connection
from rapidfuzz import fuzz
from rapidfuzz.process import extract

from guanxi.customers.models import Contact, Customer

logger = logging.getLogger(__name__)

MAX_SHARED = 20  # customers sharing one phone / email / name key
BLOCK_PREFIX = 4  # name-key characters of a fuzzy block
MAX_BLOCK = 200  # customers in one fuzzy block (200 × 200 comparisons at most)
NAME_THRESHOLD = 85  # rapidfuzz ratio of two name keys that counts as "names alike"
BATCH = 2000
KEY_LENGTH = 500  # DuplicateGroup.key; longer member lists are stored as a digest

# How much each kind of evidence alone says two records are one (combined as 1 − Π(1 − p)).
P_PHONE = 0.9
P_EMAIL = 0.85
P_NAME_MAX = 0.8  # for identical name keys; falls to 0 at similarity 50
P_REGION = 0.3


@dataclass
class Pair:
    """Evidence that two customers (low id first) are one."""

    low: int
    high: int
    phones: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Profile:
    id: int
    name: str
    name_key: str
    province: str
    city: str


def pair_score(
    *, phones: Iterable[str], emails: Iterable[str], a: Profile, b: Profile
) -> tuple[int, list[dict]]:
    """0–100 and the reasons, for two customers with this shared evidence."""
    reasons: list[dict] = []
    keep = 1.0
    for phone in sorted(phones):
        reasons.append({"kind": "phone", "value": phone})
    if phones:
        keep *= 1 - P_PHONE
    for email in sorted(emails):
        reasons.append({"kind": "email", "value": email})
    if emails:
        keep *= 1 - P_EMAIL
    similarity = round(fuzz.ratio(a.name_key, b.name_key)) if a.name_key and b.name_key else 0
    if similarity >= 50:
        keep *= 1 - P_NAME_MAX * (similarity - 50) / 50
        if similarity >= NAME_THRESHOLD or not reasons:
            reasons.append({"kind": "name", "similarity": similarity})
    if a.province and (a.province, a.city) == (b.province, b.city):
        keep *= 1 - P_REGION
        reasons.append({"kind": "region", "value": " ".join(dict.fromkeys([a.province, a.city]))})
    return round(100 * (1 - keep)), reasons


@lru_cache(maxsize=4096)
def _name_score(similarity: int, province: str, city: str) -> tuple[int, tuple[dict, ...]]:
    """`pair_score` of a name-only link: the same for every link with this similarity in
    this region, so computed once and its reason objects shared (they are never mutated)."""
    keep = 1 - P_NAME_MAX * (similarity - 50) / 50
    reasons = [{"kind": "name", "similarity": similarity}]
    if province:
        keep *= 1 - P_REGION
        reasons.append({"kind": "region", "value": " ".join(dict.fromkeys([province, city]))})
    return round(100 * (1 - keep)), tuple(reasons)


# --- streaming reads ---------------------------------------------------------------------


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _stream(sql: str, params: list | tuple = ()) -> Iterator[tuple]:
    # chunked_cursor is a server-side cursor on PostgreSQL: the result is fetched BATCH rows
    # at a time and never sits whole in this process.
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(BATCH):
            yield from rows


def _filled(column: str) -> str:
    # Written exactly as the partial indexes' condition (customers/0006_contact_partial_indexes):
    # SQLite uses a partial index only when the query repeats its WHERE term.
    return f"NOT ({_q(column)} = '')"


def _shared_value_rows(columns: list[str]) -> Iterator[tuple[str, int]]:
    """(value, customer_id) for every value held more than once across `columns`, ordered by
    value. The shared values come from GROUP BY … HAVING COUNT(*) > 1 over each column's
    partial index (index-only), then the rows of those few values by index lookups."""
    table = _q(Contact._meta.db_table)
    shared = [
        f"SELECT {_q(col)} FROM {table} WHERE {_filled(col)} "  # noqa: S608
        f"GROUP BY {_q(col)} HAVING COUNT(*) > 1"
        for col in columns
    ]
    # A value once in one column and once in another (a phone that is someone's other phone).
    for first, second in itertools.combinations(columns, 2):
        shared.append(
            f"SELECT {_q(second)} FROM {table} WHERE {_filled(second)} AND EXISTS ("  # noqa: S608
            f"SELECT 1 FROM {table} o WHERE o.{_q(first)} = {table}.{_q(second)} "
            f"AND NOT (o.{_q(first)} = ''))"
        )
    rows = " UNION ALL ".join(
        f"SELECT {_q(col)}, customer_id FROM {table} WHERE {_filled(col)} "  # noqa: S608
        f"AND {_q(col)} IN (SELECT value FROM shared)"
        for col in columns
    )
    sql = f"WITH shared(value) AS ({' UNION '.join(shared)}) {rows} ORDER BY 1"
    yield from _stream(sql)


def _pairs_by_value(rows: Iterator[tuple[str, int]]) -> Iterator[tuple[str, int, int]]:
    for value, group in itertools.groupby(rows, key=lambda r: r[0]):
        ids = sorted({customer_id for _v, customer_id in group})
        if len(ids) > MAX_SHARED:
            continue
        for low, high in itertools.combinations(ids, 2):
            yield value, low, high


def phone_pairs() -> Iterator[tuple[str, int, int]]:
    return _pairs_by_value(_shared_value_rows(["phone", "phone_alt"]))


def email_pairs() -> Iterator[tuple[str, int, int]]:
    return _pairs_by_value(_shared_value_rows(["email"]))


def name_blocks() -> Iterator[list[tuple[int, str, str, str]]]:
    """Customers (id, name_key, province, city) block by block: one province + city + the
    first BLOCK_PREFIX characters of the name key, in key order. One sorted pass over the
    customers streamed from the database; only the current block is held."""
    table = _q(Customer._meta.db_table)
    collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""  # bytewise: cheapest
    sql = (
        f"SELECT id, name_key, province, city FROM {table} WHERE NOT (name_key = '') "  # noqa: S608
        f"ORDER BY province{collate}, city{collate}, "
        f"SUBSTR(name_key, 1, {BLOCK_PREFIX}){collate}, name_key{collate}, id"
    )
    for _block, rows in itertools.groupby(
        _stream(sql), key=lambda r: (r[2], r[3], r[1][:BLOCK_PREFIX])
    ):
        yield list(rows)


def alike_keys(keys: list[str]) -> Iterator[tuple[int, int, int]]:
    """(i, j, similarity) for distinct keys i < j of one block that are alike."""
    for i, key in enumerate(keys[:-1]):
        # process.extract compares in C (cdist would be faster but needs numpy).
        for _choice, score, offset in extract(
            key, keys[i + 1 :], scorer=fuzz.ratio, score_cutoff=NAME_THRESHOLD, limit=None
        ):
            yield i, i + 1 + offset, round(score)


# --- groups ------------------------------------------------------------------------------


@dataclass
class FoundGroup:
    members: list[int]
    score: int
    reasons: list[dict]

    @property
    def key(self) -> str:
        return group_key(self.members)


def group_key(members: list[int]) -> str:
    """Sorted member ids joined by commas; a digest when that does not fit the column."""
    key = ",".join(str(m) for m in members)
    if len(key) <= KEY_LENGTH:
        return key
    return "sha1:" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()


REASON_ORDER = ["phone", "email", "name", "region"]


class Components:
    """Union-find over customer ids in a flat array of 8-byte ints, plus the evidence of each
    linked component (best pair score, reasons) kept on its root."""

    def __init__(self) -> None:
        self.parent = array("q")
        self.evidence: dict[int, list] = {}  # root -> [best score, {reason key: reason}]

    def _find(self, x: int) -> int:
        parent = self.parent
        if x >= len(parent):  # ids above the highest seen so far (new customers): grow
            parent.extend(range(len(parent), x + 1 + BATCH))
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def link(self, a: int, b: int, score: int, reasons: Iterable[dict]) -> None:
        ra, rb = self._find(a), self._find(b)
        mine = self.evidence.get(ra)
        if ra != rb:
            theirs = self.evidence.pop(rb, None)
            if mine is None or (theirs is not None and len(theirs[1]) > len(mine[1])):
                mine, theirs = theirs, mine  # fold the smaller reasons into the larger
            self.parent[rb] = ra
            if mine is None:
                mine = [score, {}]
            if theirs is not None:
                mine[0] = max(mine[0], theirs[0])
                for reason in theirs[1].values():
                    _add_reason(mine[1], reason)
            self.evidence[ra] = mine
        elif mine is None:
            mine = self.evidence[ra] = [score, {}]
        mine[0] = max(mine[0], score)
        for reason in reasons:
            _add_reason(mine[1], reason)

    def groups(self) -> Iterator[FoundGroup]:
        """Each component of two or more customers, members ascending."""
        members: dict[int, list[int]] = {}
        evidence, parent = self.evidence, self.parent
        for x in range(len(parent)):
            if parent[x] == x and x not in evidence:
                continue  # never linked
            members.setdefault(self._find(x), []).append(x)
        for root, ids in members.items():
            best, reasons = evidence[root]
            ordered = sorted(reasons.values(), key=lambda r: REASON_ORDER.index(r["kind"]))
            yield FoundGroup(ids, best, ordered)


def _add_reason(reasons: dict, reason: dict) -> None:
    # Every link of a group shows once; names by their best match.
    key = (reason["kind"], reason.get("value"))
    held = reasons.get(key)
    if held is None or reason.get("similarity", 0) > held.get("similarity", 0):
        reasons[key] = reason


@dataclass
class Scan:
    """One pass over the whole base: links into components, timings per pass."""

    dismissed: set[tuple[int, int]]
    components: Components = field(default_factory=Components)
    seconds: dict[str, float] = field(default_factory=dict)
    links: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.dismissed_ids = {x for pair in self.dismissed for x in pair}

    def run(self) -> list[FoundGroup]:
        pairs: dict[tuple[int, int], Pair] = {}
        with self._timed("phone"):
            for value, low, high in phone_pairs():
                pairs.setdefault((low, high), Pair(low, high)).phones.add(value)
            self.links["phone"] = len(pairs)
        with self._timed("email"):
            before = len(pairs)
            for value, low, high in email_pairs():
                pairs.setdefault((low, high), Pair(low, high)).emails.add(value)
            self.links["email"] = len(pairs) - before
            self._link_contact_pairs(pairs)
        del pairs
        with self._timed("name"):
            self.links["name"] = self.links["fuzzy"] = 0
            fuzzy = 0.0
            for block in name_blocks():
                self._link_same_keys(block)
                if 2 <= len(block) <= MAX_BLOCK:
                    started = time.perf_counter()
                    self._link_alike_keys(block)
                    fuzzy += time.perf_counter() - started
            self.seconds["name_fuzzy"] = round(fuzzy, 2)
        with self._timed("components"):
            groups = list(self.components.groups())
        return groups

    class _Timer:
        def __init__(self, scan: Scan, name: str) -> None:
            self.scan, self.name = scan, name

        def __enter__(self) -> None:
            self.started = time.perf_counter()

        def __exit__(self, *exc: object) -> None:
            took = time.perf_counter() - self.started
            self.scan.seconds[self.name] = round(took, 2)
            logger.info("duplicate scan: %s pass %.1f s", self.name, took)

    def _timed(self, name: str) -> Scan._Timer:
        return Scan._Timer(self, name)

    def _link_contact_pairs(self, pairs: dict[tuple[int, int], Pair]) -> None:
        """Score the shared-phone / shared-email pairs (their names and regions are read in
        batches) and link them."""
        keys = sorted(k for k in pairs if k not in self.dismissed)
        for start in range(0, len(keys), BATCH):
            chunk = keys[start : start + BATCH]
            people = profiles(x for key in chunk for x in key)
            for low, high in chunk:
                if low not in people or high not in people:  # deleted since the scan began
                    continue
                p = pairs[(low, high)]
                score, reasons = pair_score(
                    phones=p.phones, emails=p.emails, a=people[low], b=people[high]
                )
                self.components.link(low, high, score, reasons)

    def _link_same_keys(self, block: list[tuple[int, str, str, str]]) -> None:
        for _key, run in itertools.groupby(block, key=lambda r: r[1]):
            ids = [r[0] for r in run]
            if 2 <= len(ids) <= MAX_SHARED:
                _cid, _key, province, city = block[0]
                self._link_sets(ids, None, *_name_score(100, province, city))
                self.links["name"] += 1

    def _link_alike_keys(self, block: list[tuple[int, str, str, str]]) -> None:
        runs = [
            (key, [r[0] for r in run]) for key, run in itertools.groupby(block, key=lambda r: r[1])
        ]
        if len(runs) < 2:
            return
        _cid, _key, province, city = block[0]
        for i, j, similarity in alike_keys([key for key, _ids in runs]):
            self._link_sets(runs[i][1], runs[j][1], *_name_score(similarity, province, city))
            self.links["fuzzy"] += 1

    def _link_sets(
        self, ids: list[int], others: list[int] | None, score: int, reasons: tuple[dict, ...]
    ) -> None:
        """Link every member of `ids` with every other (others None) or with every member of
        `others`. Without a dismissed pair among them a star of links connects the same
        customers with the same score; with one, each pair is checked."""
        pairs: Iterable[tuple[int, int]]
        everyone = ids if others is None else ids + others
        if self.dismissed_ids.isdisjoint(everyone):
            if others is None:
                pairs = ((ids[0], x) for x in ids[1:])
            else:
                pairs = itertools.chain(
                    ((ids[0], x) for x in others), ((others[0], x) for x in ids)
                )
        elif others is None:
            pairs = itertools.combinations(ids, 2)
        else:
            pairs = itertools.product(ids, others)
        link = self.components.link
        for a, b in pairs:
            if (min(a, b), max(a, b)) not in self.dismissed:
                link(a, b, score, reasons)


def scan(*, dismissed: set[tuple[int, int]]) -> Scan:
    """Run the finder over the whole base; `.run()` returns the groups."""
    return Scan(dismissed)


def profiles(ids: Iterable[int]) -> dict[int, Profile]:
    ids = sorted(set(ids))
    found: dict[int, Profile] = {}
    for start in range(0, len(ids), BATCH):
        rows = Customer.objects.filter(pk__in=ids[start : start + BATCH]).values_list(
            "id", "name", "name_key", "province", "city"
        )
        found.update({row[0]: Profile(*row) for row in rows})
    return found


def candidates_for(customer: Customer) -> dict[int, Pair]:
    """Live, for one customer: others sharing a phone, an email or a name key in its region.
    A handful of index lookups; the caller scopes and scores them."""
    mine = Contact.objects.filter(customer_id=customer.pk)
    phones = {p for row in mine.values_list("phone", "phone_alt") for p in row if p}
    emails = {e for e in mine.values_list("email", flat=True) if e}
    found: dict[int, Pair] = {}

    def add(other_id: int) -> Pair:
        return found.setdefault(other_id, Pair(customer.pk, other_id))

    others = Contact.objects.exclude(customer_id=customer.pk)
    if phones:
        for value in phones:
            for field_name in ("phone", "phone_alt"):
                hits = others.filter(**{field_name: value}).exclude(**{field_name: ""})
                for other_id in hits.values_list("customer_id", flat=True)[:MAX_SHARED]:
                    add(other_id).phones.add(value)
    for value in emails:
        hits = others.filter(email=value).exclude(email="")
        for other_id in hits.values_list("customer_id", flat=True)[:MAX_SHARED]:
            add(other_id).emails.add(value)
    if customer.name_key:
        same_name = Customer.objects.filter(
            name_key=customer.name_key, province=customer.province, city=customer.city
        ).exclude(pk=customer.pk)
        for other_id in same_name.values_list("pk", flat=True)[:MAX_SHARED]:
            add(other_id)
    return found
