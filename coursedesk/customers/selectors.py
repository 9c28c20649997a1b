"""Reads about customers that the desk pages and the API share: search, near matches, enrolments,
timeline. The profile, which adds payments and emails, is `usecases.profile`."""

from __future__ import annotations

import contextlib
import functools
import re
import time
from dataclasses import dataclass, field

import orjson
from django.db import connection, connections, router
from django.db.models import Count, Q, QuerySet
from django.db.models.expressions import RawSQL

from coursedesk.audit.models import AuditEvent
from coursedesk.core import clock
from coursedesk.core.errors import DomainError
from coursedesk.core.moments import from_utc_text, utc_text_sql
from coursedesk.core.moments import json_text as moment_json_text
from coursedesk.core.pagination import Page, decode_cursor, encode_cursor, rows_page
from coursedesk.core.prepared import planned_once
from coursedesk.core.text import fold, without_control_characters
from coursedesk.customers.models import (
    CourseStudentCount,
    Customer,
    CustomerNote,
    Enrolment,
    EnrolmentStatus,
)

# Trigram indexes need three characters; shorter words fall back to a plain LIKE.
TRIGRAM = 3
SQLITE_SEARCH_TABLE = "customers_customer_search"


def looks_like_email(text: str) -> bool:
    """Whether `text` is looked up as an address first: one word with an @ between two parts.
    Looser than the rule a new address must pass (`validate_email`), so an address stored before
    that rule held it is still looked up as it is written; an address nobody has is searched as
    words after."""
    local, at, domain = text.strip().rpartition("@")
    return bool(at and local and domain) and len(text.split()) == 1


def _fts_phrase(word: str) -> str:
    """`word` as one FTS5 phrase: quoted, its own quotes doubled."""
    return '"' + word.replace('"', '""') + '"'


def _sqlite_match(word: str) -> RawSQL:
    phrase = _fts_phrase(word)
    # The term is a bound parameter; only the constant table name is formatted in.
    return RawSQL(  # noqa: S611
        f"SELECT rowid FROM {SQLITE_SEARCH_TABLE} WHERE {SQLITE_SEARCH_TABLE} MATCH %s", (phrase,)
    )


# SQLite: a word matching more customers than this (across every creator) is common enough that
# walking the creator's newest customers finds a page of matches sooner than materialising every
# match from the FTS5 table; rarer words go through the FTS5 table.
SQLITE_COMMON_WORD = 2000


# Whether a word is common only chooses the faster of two plans that find the same customers, and
# it changes slowly, so each process remembers the answer for a while instead of counting again.
SQLITE_COMMON_WORD_KEPT_FOR = 300.0  # seconds
SQLITE_COMMON_WORDS_KEPT = 10_000
_sqlite_common_words: dict[str, tuple[float, bool]] = {}


def _sqlite_word_is_common(word: str) -> bool:
    now = time.monotonic()
    known = _sqlite_common_words.get(word)
    if known is not None and known[0] > now:
        return known[1]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT rowid FROM {SQLITE_SEARCH_TABLE} "
            f"WHERE {SQLITE_SEARCH_TABLE} MATCH %s LIMIT %s)",
            [_fts_phrase(word), SQLITE_COMMON_WORD],
        )
        common = cursor.fetchone()[0] >= SQLITE_COMMON_WORD
    if len(_sqlite_common_words) >= SQLITE_COMMON_WORDS_KEPT:
        _sqlite_common_words.clear()
    _sqlite_common_words[word] = (now + SQLITE_COMMON_WORD_KEPT_FOR, common)
    return common


def _word_filter(word: str, *, prefer_scan: bool = False) -> Q:
    """Customers whose folded "first last email" contains `word`, through the trigram index."""
    if connection.vendor == "sqlite" and len(word) >= TRIGRAM and not prefer_scan:
        return Q(pk__in=_sqlite_match(word))
    # PostgreSQL: LIKE '%word%' on search_text uses the pg_trgm GIN index (case is already folded).
    return Q(search_text__contains=word)


def _sqlite_walks_newest(words: list[str], longest: str) -> bool:
    """SQLite: whether the newest-first walk beats the FTS5 table (a single short or common word)."""
    return len(words) == 1 and (len(longest) < TRIGRAM or _sqlite_word_is_common(longest))


def _sqlite_words_filter(customers, words: list[str]):
    """One word narrows through the FTS5 table (the longest: the fewest matches) and the others
    filter its rows. When a single word is common, the newest-first walk of the creator's customers
    (customer_newest index) finds a page of matches sooner than reading every match from FTS5."""
    longest = max(words, key=len)
    scan = _sqlite_walks_newest(words, longest)
    customers = customers.filter(_word_filter(longest, prefer_scan=scan))
    rest = list(words)
    rest.remove(longest)
    for word in rest:
        customers = customers.filter(search_text__contains=word)
    return customers


def customer_email_matches(*, creator, query: str) -> QuerySet[Customer] | None:
    """For a query that is an email address: the creator's customer with that address and, when
    they were merged into another, that survivor too, newest first. One query when read, through the
    unique (creator, lower(email)) index; None when the query is not an address."""
    query = without_control_characters(query).strip()
    if not (query and looks_like_email(query)):
        return None
    customers = Customer.objects.for_creator(creator)
    exact = customers.with_email(query).order_by()
    # One set of ids (the address's customer, then its survivor) that both planners read as a
    # semi-join on the primary key; an OR of the two conditions would scan the creator's customers.
    survivor = exact.filter(merged_into__isnull=False).values("merged_into_id")
    ids = exact.values("pk").union(survivor, all=True)
    return customers.filter(pk__in=ids).order_by("-created_at", "-pk")


def customer_word_search(*, creator, query: str) -> QuerySet[Customer]:
    """The creator's customers whose folded name or email contains every word of `query`, newest
    first (an empty query: every customer)."""
    customers = Customer.objects.for_creator(creator)
    words = fold(without_control_characters(query)).split()
    if connection.vendor == "sqlite" and words:
        customers = _sqlite_words_filter(customers, words)
    else:
        # PostgreSQL: each LIKE '%word%' on search_text is served by the pg_trgm GIN index.
        for word in words:
            customers = customers.filter(_word_filter(word))
    return customers.order_by("-created_at", "-pk")


def customer_search(*, creator, query: str, limit: int | None = None) -> QuerySet[Customer]:
    """The creator's customers matching every word of `query`, newest first.

    Matches any part of first name, last name, full name or email, ignoring case and accents
    ("zoe" finds "Zoë"). An exact email goes straight to the unique (creator, lower(email)) index
    (`customer_email_matches`); an address nobody has is searched as words, so a merged customer's
    old address finds the survivor. An empty query lists every customer, newest first.
    """
    exact = customer_email_matches(creator=creator, query=query)
    if exact is not None and exact.exists():
        return exact[:limit] if limit else exact
    customers = customer_word_search(creator=creator, query=query)
    return customers[:limit] if limit else customers


# --- The API's search, written as SQL ----------------------------------------------------------------
# The same search as customer_email_matches and customer_word_search, for the API's pages: the
# statement is written here rather than built by the ORM for each request, and its rows are read as
# plain values. Building the queryset (its filters, union, ordering and cursor) cost more than running
# it; tests hold the two ways equal.

SEARCH_COLUMNS = ("id", "first_name", "last_name", "email", "created_at", "last_login_at", "tag_names")
_MOMENT_COLUMNS = ("created_at", "last_login_at")


@functools.cache
def _search_select(vendor: str) -> str:
    """SEARCH_COLUMNS, the moments read as UTC text (coursedesk.core.moments)."""
    return ", ".join(
        f"{utc_text_sql(column, vendor)} AS {column}" if column in _MOMENT_COLUMNS else column
        for column in SEARCH_COLUMNS
    )


def customer_search_page(*, creator, query: str, cursor: str | None, limit: int) -> Page:
    """One page of `customer_search(creator, query)` as rows of SEARCH_COLUMNS (dicts), newest first:
    one query, or two when an address nobody has is searched as words or when the address's
    customer was merged into another (and on SQLite, one more for a single word: whether it is
    common). Moments are the API's text of them (coursedesk.core.moments)."""
    query = without_control_characters(query).strip()
    if query and looks_like_email(query):
        # The lookup's SQL is the same for every address: on PostgreSQL the server plans it once
        # per connection (planning it took longer than running it). The words' searches are
        # planned at each request, for their pattern: a plan made for an unknown pattern could
        # walk every customer for a rare word.
        rows, moments = _email_rows(creator.pk, query)
        if rows:
            positions = [
                (from_utc_text(moment), row["id"]) for row, moment in zip(rows, moments, strict=True)
            ]
            return rows_page(rows, positions=positions, cursor=cursor, limit=limit)
    table = Customer._meta.db_table
    where, params = _words_sql(fold(query).split())
    if cursor:
        moment, pk = decode_cursor(cursor)
        moment = connection.ops.adapt_datetimefield_value(moment)
        where += f" AND ({table}.created_at < %s OR ({table}.created_at = %s AND {table}.id < %s))"
        params += [moment, moment, pk]
    sql = (
        f"SELECT {_search_select(connection.vendor)} FROM {table} WHERE creator_id = %s{where} "
        f"ORDER BY {table}.created_at DESC, {table}.id DESC LIMIT %s"
    )
    rows, moments = _search_rows((sql, [creator.pk, *params, limit + 1]))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(from_utc_text(moments[limit - 1]), rows[-1]["id"])
    return Page(items=rows, next_cursor=next_cursor)


def _email_rows(creator_id: int, email: str) -> tuple[list[dict], list]:
    """_search_rows of the address's customer and, when they were merged into another, that survivor
    (customer_email_matches). The customer is read through the unique (creator, lower(email)) index,
    with the id it was merged into; the survivor, a second query by its id, only then. One statement
    reading both every time (a union of two index look-ups) cost the search's every request a look-up
    that only merged customers' addresses need."""
    table = Customer._meta.db_table
    select = _search_select(connection.vendor)
    address = email.strip().lower()
    statement = (
        f"SELECT {select}, merged_into_id FROM {table} WHERE creator_id = %s AND LOWER(email) = %s",
        [creator_id, address],
    )
    found = _fetched(statement, prepared=True)  # one row at most: the index is unique
    rows, moments = _search_dicts([row[:-1] for row in found])
    merged_into = found[0][-1] if found else None
    if merged_into is not None:
        statement = (
            f"SELECT {select} FROM {table} WHERE creator_id = %s AND id = %s",
            [creator_id, merged_into],
        )
        survivors, survivor_moments = _search_rows(statement, prepared=True)
        rows, moments = rows + survivors, moments + survivor_moments
    return rows, moments


def _like(word: str) -> tuple[str, str]:
    escape = " ESCAPE '\\'" if connection.vendor == "sqlite" else ""
    return f" AND search_text LIKE %s{escape}", f"%{connection.ops.prep_for_like_query(word)}%"


def _words_sql(words: list[str]) -> tuple[str, list]:
    """customer_word_search's conditions: on SQLite the longest word through the FTS5 table (unless
    it is a single common or short word, for the newest-first walk), the others by LIKE."""
    where, params = "", []
    rest = list(words)
    if connection.vendor == "sqlite" and words:
        longest = max(words, key=len)
        scan = _sqlite_walks_newest(words, longest)
        if not scan:
            rest.remove(longest)
            where += (
                f" AND id IN (SELECT rowid FROM {SQLITE_SEARCH_TABLE} WHERE {SQLITE_SEARCH_TABLE} MATCH %s)"
            )
            params.append(_fts_phrase(longest))
    for word in rest:
        condition, pattern = _like(word)
        where += condition
        params.append(pattern)
    return where, params


def _search_rows(statement: tuple[str, list], *, prepared: bool = False) -> tuple[list[dict], list]:
    """The rows of `statement` (a _search_select) as dicts, with their moments as the API writes
    them, and each row's created_at as read (UTC text), for its cursor."""
    return _search_dicts(_fetched(statement, prepared=prepared))


def _fetched(statement: tuple[str, list], *, prepared: bool) -> list[tuple]:
    sql, params = statement
    database = connections[router.db_for_read(Customer)]  # where the ORM would read (the replica)
    with planned_once(database) if prepared else contextlib.nullcontext(), database.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _search_dicts(rows: list[tuple]) -> tuple[list[dict], list]:
    found, moments = [], []
    for pk, first_name, last_name, email, created_at, last_login_at, tag_names in rows:
        found.append(
            {
                "id": pk,
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "created_at": moment_json_text(created_at),
                "last_login_at": moment_json_text(last_login_at),
                "tag_names": orjson.loads(tag_names) if isinstance(tag_names, str) else tag_names,
            }
        )
        moments.append(created_at)
    return found, moments


def edit_distance(left: str, right: str, *, at_most: int = 2) -> int:
    """Levenshtein distance, stopping early once it is certainly above `at_most`."""
    if abs(len(left) - len(right)) > at_most:
        return at_most + 1
    previous = list(range(len(right) + 1))
    for i, left_char in enumerate(left, start=1):
        current = [i]
        for j, right_char in enumerate(right, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (left_char != right_char))
            )
        if min(current) > at_most:
            return at_most + 1
        previous = current
    return previous[-1]


def _pieces(text: str, count: int = 3) -> list[str]:
    """`text` cut into `count` pieces: two typos leave at least one piece intact."""
    size = max(1, len(text) // count)
    pieces = [text[i * size : (i + 1) * size] for i in range(count - 1)] + [text[(count - 1) * size :]]
    return [piece for piece in pieces if len(piece) >= TRIGRAM]


NAME_SEPARATORS = re.compile(r"[._\-+0-9]+")
NEAR_MATCH_CANDIDATES = 500


def customer_near_matches(*, creator, email: str, limit: int = 10) -> list[Customer]:
    """For an email that found nobody: customers a typo away, or with the name the email spells.

    "A typo away" is an edit distance of at most two on the local part (same domain) or on the
    domain (same local part): jessica.tran@gmial.com finds jessica.tran@gmail.com. "The same name"
    reads the local part as first and last name (jessica.tran, jessica_tran → Jessica Tran).
    """
    email = fold(email)
    if "@" not in email:
        return []
    local, _, domain = email.rpartition("@")
    customers = Customer.objects.for_creator(creator)

    # A typo in the domain keeps "local@"; a typo in the local part keeps "@domain" and, with at
    # most two typos, one of three pieces of the local part.
    candidate_filter = _word_filter(f"{local}@")
    local_pieces = Q()
    for piece in _pieces(local):
        local_pieces |= _word_filter(piece)
    if local_pieces:
        candidate_filter |= local_pieces & _word_filter(f"@{domain}")
    words = [word for word in NAME_SEPARATORS.split(local) if word]
    name_filter = None
    if len(words) == 2:
        first, last = words
        name_filter = _word_filter(f"{first} {last} ")
        candidate_filter |= name_filter
    candidates = customers.filter(candidate_filter).order_by("-created_at", "-pk")[:NEAR_MATCH_CANDIDATES]

    matches = []
    for customer in candidates:
        their_local, _, their_domain = customer.email.lower().rpartition("@")
        typo_away = (their_domain == domain and 0 < edit_distance(their_local, local) <= 2) or (
            their_local == local and 0 < edit_distance(their_domain, domain) <= 2
        )
        same_name = len(words) == 2 and (fold(customer.first_name), fold(customer.last_name)) == (
            words[0],
            words[1],
        )
        if typo_away or same_name:
            matches.append(customer)
        if len(matches) >= limit:
            break
    return matches


@dataclass
class SearchResult:
    query: str
    customers: list[Customer]
    near_matches: list[Customer] = field(default_factory=list)

    @property
    def is_email(self) -> bool:
        return looks_like_email(self.query)


def customer_search_with_near_matches(*, creator, query: str, limit: int = 20) -> SearchResult:
    """What the search box shows: matches, or for an email with no hit, the near matches."""
    customers = list(customer_search(creator=creator, query=query, limit=limit))
    result = SearchResult(query=query, customers=customers)
    if not customers and result.is_email:
        result.near_matches = customer_near_matches(creator=creator, email=query)
    return result


def customer_enrolments(*, customer):
    return (
        Enrolment.objects.filter(customer=customer)
        .select_related("course", "payment_page")
        .with_status()
        .order_by("-granted_at", "-pk")
    )


def customer_notes(*, customer):
    return CustomerNote.objects.filter(customer=customer).order_by("-created_at", "-pk")


def customer_timeline(*, customer):
    return AuditEvent.objects.filter(customer=customer).order_by("-occurred_at", "-pk")


def enrolment_required(*, customer: Customer, course) -> Enrolment:
    """The customer's enrolment in `course` (in any status). What a creator does for a course on a
    customer's behalf (resend its welcome email, send its reset link) needs one: else `not_enrolled`."""
    enrolment = Enrolment.objects.filter(customer=customer, course=course).first()
    if enrolment is None:
        raise DomainError(f"This customer has no enrolment in {course.title}.", code="not_enrolled")
    return enrolment


@dataclass(frozen=True)
class CourseStudents:
    """A course with its students counted by status, for the Teach page and the API."""

    course: object
    counts: dict[str, int]  # active, revoked, expired


def course_students(*, courses) -> list[CourseStudents]:
    counts = course_student_counts(courses=courses)
    return [CourseStudents(course=course, counts=counts[course.pk]) for course in courses]


# Expirations that passed since the last sweep are read one by one; the scheduler sweeps every
# minute, so there are few. Past this many (no sweep for a long time) they are counted per course.
PASSED_READ_AT_MOST = 500


def course_student_counts(*, courses) -> dict[int, dict[str, int]]:
    """Active, revoked and expired students per course, in one small query at any size: the
    counters the enrolment services keep (`CourseStudentCount`) hold an expiration as expired once
    the sweep recorded it; the ones that passed since (a minute's worth while the scheduler runs)
    are read through the index of unrecorded expirations, oldest first, and moved from active to
    expired here.

    The passed expirations are read for every course at once, in expiry order: the planners of both
    databases then walk `enrolment_expiry_unrecorded` from its start and stop at now, a handful of
    index entries. Counted per course instead, PostgreSQL misjudges the predicate and reads the
    course's whole index (tens of milliseconds at a million customers)."""
    ids = [course.pk for course in courses]
    statuses = [status.value for status in EnrolmentStatus]
    counts = {pk: dict.fromkeys(statuses, 0) for pk in ids}
    if not ids:
        return counts
    placeholders = ", ".join(["%s"] * len(ids))
    sql = (
        f"SELECT course_id, active, revoked, expired, 0 FROM {CourseStudentCount._meta.db_table} "
        f"WHERE course_id IN ({placeholders}) "
        "UNION ALL "
        "SELECT course_id, 0, 0, 0, 1 FROM ("
        f"SELECT course_id FROM {Enrolment._meta.db_table} WHERE revoked_at IS NULL "
        "AND expiry_recorded_at IS NULL AND expires_at IS NOT NULL AND expires_at <= %s "
        f"ORDER BY expires_at LIMIT {PASSED_READ_AT_MOST + 1}) passed"
    )
    now = clock.now()
    at = connection.ops.adapt_datetimefield_value(now)
    passed: dict[int, int] = {}
    read = 0
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, at])
        for course_id, active, revoked, expired, one_passed in cursor.fetchall():
            if one_passed:
                read += 1
                if course_id in counts:
                    passed[course_id] = passed.get(course_id, 0) + 1
            else:
                counts[course_id] = {"active": active, "revoked": revoked, "expired": expired}
    if read > PASSED_READ_AT_MOST:  # the sweep is far behind: count these courses' through the index
        passed = dict(
            Enrolment.objects.filter(
                course_id__in=ids,
                revoked_at__isnull=True,
                expiry_recorded_at__isnull=True,
                expires_at__isnull=False,
                expires_at__lte=now,
            )
            .order_by()
            .values("course_id")
            .annotate(passed=Count("pk"))
            .values_list("course_id", "passed")
        )
    for course_id, number in passed.items():
        counts[course_id]["active"] -= number
        counts[course_id]["expired"] += number
    return counts
