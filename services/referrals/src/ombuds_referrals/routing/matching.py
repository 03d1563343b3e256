"""Keyword matching for routing rules: whole words, ignoring case and accents, so "Aduana",
"aduana" and "ADUANA" match the keyword "aduana" and "inspección" matches "inspeccion",
while "visa" does not match inside "visage"."""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache


def fold(text: str) -> str:
    """Lower case without accents: the form keywords and texts are compared in."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=2048)
def keyword_pattern(keyword: str) -> re.Pattern[str]:
    """A phrase's words in order, any whitespace between them, with no word character
    touching either end (so Unicode letters count as word characters, unlike ASCII `\\b`)."""
    words = [re.escape(word) for word in fold(keyword).split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")


def keywords_found(keywords: list[str], text: str) -> list[str]:
    """The keywords that occur in `text` as whole words, in the rule's order."""
    folded = fold(text)
    return [keyword for keyword in keywords if keyword_pattern(keyword).search(folded)]


@dataclass(frozen=True)
class RuleConditions:
    kinds: list[str]
    categories: list[str]
    keywords: list[str]


@dataclass(frozen=True)
class Match:
    """Why a rule matched: the conditions that held, for staff to judge the suggestion."""

    kind: str | None
    category: str | None
    keywords: list[str]

    def reason(self) -> str:
        parts = []
        if self.kind is not None:
            parts.append(f"kind is {self.kind!r}")
        if self.category is not None:
            parts.append(f"category is {self.category!r}")
        if self.keywords:
            parts.append("the text mentions " + ", ".join(repr(k) for k in self.keywords))
        return " and ".join(parts) if parts else "the rule matches every case"


def match(rule: RuleConditions, kind: str, category: str | None, text: str) -> Match | None:
    """How `rule` matches a case of this kind, category and text, or None if it does not."""
    if rule.kinds and kind not in rule.kinds:
        return None
    if rule.categories and category not in rule.categories:
        return None
    found = keywords_found(rule.keywords, text)
    if rule.keywords and not found:
        return None
    return Match(
        kind=kind if rule.kinds else None,
        category=category if rule.categories else None,
        keywords=found,
    )
