"""The subset of Solr/Lucene query syntax CKAN sends, parsed and compiled to PostgreSQL.

Pure Python (no CKAN import) so it can be tested on its own. ``parse(text)`` gives a small AST;
``Compiler`` turns it into a SQL boolean expression over the ``kaifang_package_index`` table with
named bind parameters. Anything outside the supported subset raises ``UnsupportedQuery`` with a
message saying what is not supported (the plugin turns it into CKAN's ``SearchQueryError`` → 400).

Supported: ``*:*``; bare words and ``"phrases"`` (free text over the search text); ``field:value``,
``field:"phrase"``, ``field:(a OR b)``, ``field:*``, trailing-``*`` prefixes; ranges
``field:[a TO b]`` / ``{a TO b}`` with ``*`` and ``NOW[-+]N<UNIT>[/UNIT]`` date math;
``+`` / ``-`` / ``!`` prefixes, ``AND`` / ``OR`` / ``NOT`` / ``&&`` / ``||``, parentheses. Adjacent
clauses are ANDed (CKAN runs Solr with ``q.op=AND``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Union


class UnsupportedQuery(ValueError):
    """The query uses syntax this PostgreSQL index does not implement (or is malformed)."""


# ---------------------------------------------------------------- AST
@dataclass(frozen=True)
class All:
    pass


MUST, SHOULD, MUST_NOT = "must", "should", "must_not"


@dataclass(frozen=True)
class Bool:
    """Lucene BooleanQuery: every MUST, no MUST_NOT, and — only when there is no MUST — at least
    one SHOULD. A purely negative query matches everything else (Solr adds ``*:*``)."""

    clauses: tuple  # ((occur, node), ...)


@dataclass(frozen=True)
class Term:
    field: str | None  # None = default search field (free text)
    value: str
    kind: str = "word"  # word | phrase | prefix | exists


@dataclass(frozen=True)
class Range:
    field: str
    lo: str | None  # None = open ('*')
    hi: str | None
    lo_incl: bool = True
    hi_incl: bool = True


Node = Union[All, Bool, Term, Range]

_SPECIAL = set('()"[]{}^~:\\ \t\r\n\u3000')
_FIELD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


class _Parser:
    def __init__(self, text: str):
        self.s = text
        self.i = 0

    # -- helpers
    def _ws(self) -> None:
        while self.i < len(self.s) and self.s[self.i].isspace():
            self.i += 1

    def _peek(self, n: int = 1) -> str:
        return self.s[self.i:self.i + n]

    def _kw(self, word: str) -> bool:
        """True (and consumed) when the upper-case keyword ``word`` stands here as a whole word."""
        end = self.i + len(word)
        if self.s[self.i:end] == word and (end == len(self.s) or self.s[end].isspace() or self.s[end] in "()"):
            self.i = end
            return True
        return False

    def _error(self, msg: str) -> UnsupportedQuery:
        return UnsupportedQuery(f"{msg} (at character {self.i + 1} of {self.s!r})")

    # -- grammar
    def parse(self) -> Node:
        self._ws()
        if not self.s.strip():
            return All()
        node = self._or(None)
        self._ws()
        if self.i < len(self.s):
            raise self._error("unexpected ')'" if self._peek() == ")" else "could not parse the query")
        return node

    def _or(self, dfield: str | None) -> Node:
        """One boolean level, with Lucene's clause rules for the AND default operator (q.op=AND):
        a clause is MUST unless introduced by OR (then it and the clause before it are SHOULD) or
        prohibited by ``-``/``!``/``NOT`` (MUST_NOT); ``AND`` makes the clause before it MUST."""
        clauses: list[list] = []  # [occur, node]
        first = True
        while True:
            self._ws()
            if self.i >= len(self.s) or self._peek() == ")":
                break
            conj = None
            if not first:
                if self._kw("AND") or (self._peek(2) == "&&" and self._adv(2)):
                    conj = "AND"
                elif self._kw("OR") or (self._peek(2) == "||" and self._adv(2)):
                    conj = "OR"
                self._ws()
            elif self._peek(2) in ("&&", "||") or self._kw("AND") or self._kw("OR"):
                raise self._error("the query starts with an operator")
            mod = None
            if self._peek() == "+":
                self.i += 1
                mod = "REQ"
            elif self._peek() in ("-", "!"):
                self.i += 1
                mod = "NOT"
            elif self._kw("NOT"):
                self._ws()
                mod = "NOT"
            if self.i >= len(self.s) or self._peek() == ")":
                raise self._error("the query ends where a term was expected")
            node = self._primary(dfield)
            if clauses and conj == "AND" and clauses[-1][0] != MUST_NOT:
                clauses[-1][0] = MUST
            if clauses and conj == "OR" and clauses[-1][0] != MUST_NOT:
                clauses[-1][0] = SHOULD
            prohibited = mod == "NOT"
            required = not prohibited and conj != "OR"
            occur = MUST_NOT if prohibited else (MUST if required else SHOULD)
            clauses.append([occur, node])
            first = False
        if not clauses:
            raise self._error("empty query or group")
        if len(clauses) == 1 and clauses[0][0] != MUST_NOT:
            return clauses[0][1]
        return Bool(tuple((o, n) for o, n in clauses))

    def _adv(self, n: int) -> bool:
        self.i += n
        return True

    def _primary(self, dfield: str | None) -> Node:
        self._ws()
        c = self._peek()
        if not c:
            raise self._error("the query ends where a term was expected")
        if c == "(":
            return self._group(dfield)
        if self._peek(2) == "{!":
            raise self._error("local parameters ({!...}) are not supported")
        if c in "[{":
            if dfield is None:
                raise self._error("a range needs a field, e.g. metadata_modified:[NOW-1DAY TO *]")
            return self._range(dfield)
        if c == '"':
            return Term(dfield, self._phrase(), "phrase")
        if self._peek(3) == "*:*":
            self.i += 3
            return All()
        word = self._word()
        if self._peek() == ":":
            if dfield is not None:
                raise self._error(f"nested field {word!r} inside field {dfield!r}")
            if not _FIELD_RE.match(word):
                raise self._error(f"invalid field name {word!r}")
            if word in ("_val_", "_query_"):
                raise self._error("magic fields (_val_, _query_) are not supported")
            self.i += 1
            return self._field_value(word)
        return self._word_term(dfield, word)

    def _group(self, dfield: str | None) -> Node:
        """A parenthesized sub-query at ``(``; terms inside default to ``dfield``."""
        self.i += 1
        node = self._or(dfield)
        self._ws()
        if self._peek() != ")":
            raise self._error("missing ')'")
        self.i += 1
        self._no_boost()
        return node

    def _field_value(self, fname: str) -> Node:
        c = self._peek()
        if not c or c.isspace():
            raise self._error(f"field {fname!r} has no value")
        if c == "(":
            return self._group(fname)
        if c in "[{":
            return self._range(fname)
        if c == '"':
            return Term(fname, self._phrase(), "phrase")
        return self._word_term(fname, self._word())

    def _word_term(self, fname: str | None, word: str) -> Node:
        if word == "*":
            if fname is None:
                return All()
            return Term(fname, "", "exists")
        body = word[:-1] if word.endswith("*") and not word.endswith("\\*") else word
        if re.search(r"(?<!\\)[*?]", body):
            raise self._error(f"wildcards other than a trailing '*' are not supported ({word!r})")
        value = _unescape(body)
        if not value:
            raise self._error("empty term")
        return Term(fname, value, "prefix" if body is not word else "word")

    def _no_boost(self) -> None:
        if self._peek() in ("^", "~"):
            raise self._error("boosts (^) and fuzzy/proximity (~) are not supported")

    def _word(self) -> str:
        start = self.i
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "\\" and self.i + 1 < len(self.s):
                self.i += 2
                continue
            if c in _SPECIAL or c.isspace():
                break
            self.i += 1
        word = self.s[start:self.i]
        if not word:
            raise self._error(f"unexpected {self._peek()!r}")
        if self._peek() in ("^", "~"):
            raise self._error("boosts (^) and fuzzy/proximity (~) are not supported")
        if word.startswith("/"):
            raise self._error("regular expressions are not supported")
        return word

    def _phrase(self) -> str:
        assert self._peek() == '"'
        self.i += 1
        out = []
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "\\" and self.i + 1 < len(self.s):
                out.append(self.s[self.i + 1])
                self.i += 2
                continue
            if c == '"':
                self.i += 1
                self._no_boost()
                return "".join(out)
            out.append(c)
            self.i += 1
        raise self._error("unterminated phrase (missing closing '\"')")

    def _range(self, fname: str) -> Node:
        lo_incl = self._peek() == "["
        self.i += 1
        self._ws()
        lo = self._range_bound()
        self._ws()
        if not self._kw("TO"):
            raise self._error("a range must look like [a TO b]")
        self._ws()
        hi = self._range_bound()
        self._ws()
        c = self._peek()
        if c not in ("]", "}"):
            raise self._error("a range must end with ']' or '}'")
        self.i += 1
        return Range(fname, lo, hi, lo_incl, c == "]")

    def _range_bound(self) -> str | None:
        if self._peek() == '"':
            return self._phrase()
        start = self.i
        while self.i < len(self.s) and not self.s[self.i].isspace() and self.s[self.i] not in "]}":
            self.i += 1
        tok = _unescape(self.s[start:self.i])
        if not tok:
            raise self._error("empty range bound")
        return None if tok == "*" else tok


_DISMAX_DROP = re.compile(r"[(){}\[\]^~*?\\/!&|]")


def dismax_text(q: str) -> str:
    """Free-text ``q`` as Solr's dismax parser sees it (CKAN uses dismax when ``q`` has no ':'):
    only ``+``/``-`` prefixes and ``"phrases"`` are syntax; other special characters are not
    operators and the text analyzer drops them, so they become spaces here."""
    if q.lstrip().startswith("{!"):
        raise UnsupportedQuery("local parameters ({!...}) are not supported")
    if q.count('"') % 2:
        q = q.replace('"', " ")
    return _DISMAX_DROP.sub(" ", q)


def _unescape(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s)


def parse(text: str) -> Node:
    """Parse a Solr/Lucene query string (the supported subset) into an AST."""
    if not isinstance(text, str):
        raise UnsupportedQuery(f"a query must be a string, got {type(text).__name__}")
    return _Parser(text).parse()


# ---------------------------------------------------------------- n-grams and text
def grams(text: str) -> set[str]:
    """Unigrams and bigrams of the lower-cased text (the n-gram index; CJK needs no segmenter)."""
    t = text.lower()
    out = {c for c in t if not c.isspace()}
    out.update(t[i:i + 2] for i in range(len(t) - 1))
    return out


def term_grams(term: str) -> list[str]:
    """The grams a document must contain for ``term`` to be a substring of its text."""
    t = term.lower()
    if len(t) == 1:
        return [t]
    return sorted({t[i:i + 2] for i in range(len(t) - 1)})


def like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_DATE_UNITS = {
    "YEAR": "years", "MONTH": "months", "DAY": "days", "HOUR": "hours", "MINUTE": "minutes",
    "SECOND": "seconds", "MILLI": "milliseconds", "MILLISECOND": "milliseconds",
}


def parse_date(value: str, *, now: datetime | None = None) -> datetime:
    """ISO 8601 date/time or Solr date math (``NOW``, ``NOW-7DAYS``, ``NOW/DAY``) → aware UTC datetime."""
    now = now or datetime.now(timezone.utc)
    v = value.strip()
    if v.upper().startswith("NOW"):
        cur = now
        rest = v[3:].upper()
        for op, num, unit in re.findall(r"([+\-/])(\d*)([A-Z]+)", rest):
            unit = unit[:-1] if unit.endswith("S") and unit[:-1] in _DATE_UNITS else unit
            if unit not in _DATE_UNITS:
                raise UnsupportedQuery(f"unknown date math unit {unit!r} in {value!r}")
            if op == "/":
                cur = _round_down(cur, unit)
            else:
                n = int(num or "1") * (1 if op == "+" else -1)
                cur = _shift(cur, unit, n)
        if re.sub(r"([+\-/])(\d*)([A-Z]+)", "", rest):
            raise UnsupportedQuery(f"could not read date math {value!r}")
        return cur
    try:
        dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise UnsupportedQuery(f"not a date: {value!r} (use ISO 8601 like 2024-01-31T00:00:00Z or NOW-1DAY)")
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _shift(dt: datetime, unit: str, n: int) -> datetime:
    if unit == "YEAR":
        return dt.replace(year=dt.year + n)
    if unit == "MONTH":
        m = dt.month - 1 + n
        return dt.replace(year=dt.year + m // 12, month=m % 12 + 1, day=min(dt.day, 28))
    return dt + timedelta(**{_DATE_UNITS[unit]: n})


def _round_down(dt: datetime, unit: str) -> datetime:
    order = ["YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"]
    if unit not in order:
        return dt
    keep = order.index(unit)
    repl: dict[str, int] = {"microsecond": 0}
    for i, name in enumerate(["month", "day", "hour", "minute", "second"], start=1):
        if i > keep:
            repl[name] = 1 if name in ("month", "day") else 0
    return dt.replace(**repl)


# ---------------------------------------------------------------- SQL compiler
#: fields matched as words inside text (Solr "text" fields): case-insensitive substring
TEXT_FIELDS = {"title", "notes", "res_name", "res_description", "author", "maintainer", "urls", "res_url"}
#: autocomplete n-gram fields → the column they read
NGRAM_FIELDS = {"name_ngram": "name", "title_ngram": "title"}
#: single-valued fields kept as plain columns (fast equality)
COLUMN_FIELDS = {"id", "name", "site_id", "state", "capacity", "owner_org"}
#: typed timestamp columns (ranges compare as time)
DATE_COLUMNS = {"metadata_modified", "metadata_created"}


@dataclass
class Compiler:
    """AST → SQL over ``kaifang_package_index`` (alias-free); collects bind params and free-text terms."""

    params: dict[str, Any] = field(default_factory=dict)
    text_terms: list[str] = field(default_factory=list)
    now: datetime | None = None

    def _p(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def compile(self, node: Node, *, collect_text: bool = True) -> str:
        if isinstance(node, All):
            return "TRUE"
        if isinstance(node, Bool):
            must = [self.compile(n, collect_text=collect_text) for o, n in node.clauses if o == MUST]
            should = [self.compile(n, collect_text=collect_text) for o, n in node.clauses if o == SHOULD]
            must_not = [self.compile(n, collect_text=False) for o, n in node.clauses if o == MUST_NOT]
            parts = list(must) + [f"NOT COALESCE({c}, FALSE)" for c in must_not]
            if should and not must:
                parts.append("(" + " OR ".join(should) + ")")
            return "(" + (" AND ".join(parts) or "TRUE") + ")"
        if isinstance(node, Term):
            return self._term(node, collect_text)
        if isinstance(node, Range):
            return self._range(node)
        raise UnsupportedQuery(f"unknown query node {node!r}")

    def _free_text(self, value: str, collect: bool) -> str:
        v = value.lower().strip()
        if not v:
            return "TRUE"
        if collect:
            self.text_terms.append(v)
        return (f"(grams @> CAST({self._p(term_grams(v))} AS text[]) "
                f"AND search_text LIKE {self._p('%' + like_escape(v) + '%')})")

    def _vals(self, fname: str) -> str:
        # long text lives only in ``doc``; everything short is in the small ``fields`` jsonb
        src = "doc" if fname in TEXT_FIELDS else "fields"
        return f"kaifang_vals({src} -> {self._p(fname)})"

    def _term(self, t: Term, collect: bool) -> str:
        f = t.field
        if f in (None, "text"):
            if t.kind == "exists":
                return "TRUE"
            return self._free_text(t.value, collect)
        if t.kind == "exists":
            return f"EXISTS (SELECT 1 FROM {self._vals(f)} e WHERE e <> '')"
        if f in NGRAM_FIELDS:
            col = NGRAM_FIELDS[f]
            return f"(lower({col}) LIKE {self._p('%' + like_escape(t.value.lower()) + '%')})"
        if f in TEXT_FIELDS or f.startswith("extras_") or f.startswith("res_extras_"):
            pat = like_escape(t.value.lower()) + "%"
            pat = pat if t.kind == "prefix" else "%" + pat
            return f"EXISTS (SELECT 1 FROM {self._vals(f)} e WHERE lower(e) LIKE {self._p(pat)})"
        if t.kind == "prefix" and f in COLUMN_FIELDS:
            return f"({f} LIKE {self._p(like_escape(t.value) + '%')})"
        if t.kind == "prefix":
            return f"EXISTS (SELECT 1 FROM {self._vals(f)} e WHERE e LIKE {self._p(like_escape(t.value) + '%')})"
        if f in COLUMN_FIELDS:
            return f"({f} = {self._p(t.value)})"
        return f"EXISTS (SELECT 1 FROM {self._vals(f)} e WHERE e = {self._p(t.value)})"

    def _range(self, r: Range) -> str:
        conds = []
        if r.field in DATE_COLUMNS or r.field.endswith("_date"):
            col = r.field if r.field in DATE_COLUMNS else None
            for bound, incl, op in ((r.lo, r.lo_incl, ">"), (r.hi, r.hi_incl, "<")):
                if bound is None:
                    continue
                sql_op = op + ("=" if incl else "")
                val = self._p(parse_date(bound, now=self.now))
                if col:
                    conds.append(f"{col} {sql_op} {val}")
                else:
                    conds.append(f"EXISTS (SELECT 1 FROM {self._vals(r.field)} e WHERE "
                                 f"kaifang_ts(e) {sql_op} {val})")
            if not conds:
                return (f"{r.field} IS NOT NULL" if col
                        else f"EXISTS (SELECT 1 FROM {self._vals(r.field)} e WHERE e <> '')")
            return "(" + " AND ".join(conds) + ")"
        numeric = all(b is None or re.fullmatch(r"-?\d+(\.\d+)?", b) for b in (r.lo, r.hi))
        inner = []
        for bound, incl, op in ((r.lo, r.lo_incl, ">"), (r.hi, r.hi_incl, "<")):
            if bound is None:
                continue
            sql_op = op + ("=" if incl else "")
            if numeric:
                inner.append(f"e ~ '^-?[0-9]+(\\.[0-9]+)?$' AND e::numeric {sql_op} {self._p(float(bound))}")
            else:
                inner.append(f"e COLLATE \"C\" {sql_op} {self._p(bound)}")
        cond = " AND ".join(inner) or "e <> ''"
        return f"EXISTS (SELECT 1 FROM {self._vals(r.field)} e WHERE {cond})"


# ---------------------------------------------------------------- sort
#: sortable fields → SQL expression
SORT_COLUMNS = {
    "score": "score",
    "metadata_modified": "metadata_modified",
    "metadata_created": "metadata_created",
    "name": "name COLLATE \"C\"",
    "title_string": "title_string COLLATE \"C\"",
    "title": "title_string COLLATE \"C\"",
    "id": "id",
    "num_resources": "(doc ->> 'num_resources')::int",
    "num_tags": "(doc ->> 'num_tags')::int",
}
#: Solr-only popularity sorts: accepted and ignored (no tracking data here)
IGNORED_SORTS = {"views_recent", "view_recent", "views_total"}


def compile_sort(sort: str | None) -> str:
    """``"score desc, metadata_modified desc"`` → SQL ORDER BY list (always ending with ``id``)."""
    parts = []
    for item in (sort or "").split(","):
        item = item.strip()
        if not item:
            continue
        bits = item.split()
        if len(bits) != 2 or bits[1].lower() not in ("asc", "desc"):
            raise UnsupportedQuery(f'Invalid "sort" parameter {item!r}: use "<field> asc|desc"')
        fname, direction = bits[0], bits[1].upper()
        if fname in IGNORED_SORTS:
            continue
        if fname not in SORT_COLUMNS:
            raise UnsupportedQuery(
                f'Invalid "sort" parameter: cannot sort by {fname!r} '
                f"(sortable: {', '.join(sorted(SORT_COLUMNS))})")
        nulls = "NULLS LAST" if direction == "DESC" else "NULLS FIRST"
        parts.append(f"{SORT_COLUMNS[fname]} {direction} {nulls}")
    parts.append("id ASC")
    return ", ".join(parts)
