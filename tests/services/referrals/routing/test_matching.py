"""Keyword matching: whole words only, case and accents ignored, phrases across whitespace."""

import pytest

from ombuds_referrals.routing.matching import RuleConditions, keywords_found, match


@pytest.mark.parametrize(
    ("keyword", "text"),
    [
        ("aduana", "Me detuvieron en la ADUANA durante horas."),
        ("inspeccion", "Durante la inspección secundaria me gritaron."),
        ("inspección", "durante la inspeccion secundaria"),
        ("port of entry", "At the Port  of\nEntry in El Paso."),
        ("visa", "My visa, issued last year, was taken."),
        ("discriminación", "Fue DISCRIMINACIÓN."),
    ],
)
def test_a_keyword_matches_as_a_whole_word_ignoring_case_and_accents(
    keyword: str, text: str
) -> None:
    assert keywords_found([keyword], text) == [keyword]


@pytest.mark.parametrize(
    ("keyword", "text"),
    [
        ("visa", "The officer had a stern visage."),
        ("bomb", "The bombastic speech went on."),
        ("kill", "It took all my skill to stay calm."),
        ("acoso", "acosos y más"),
        ("port of entry", "the port was closed; entry denied"),
    ],
)
def test_a_keyword_inside_another_word_or_split_by_words_does_not_match(
    keyword: str, text: str
) -> None:
    assert keywords_found([keyword], text) == []


def test_every_non_empty_condition_must_hold_and_the_match_says_which_did() -> None:
    rule = RuleConditions(kinds=["complaint"], categories=["trade"], keywords=["customs"])
    found = match(rule, "complaint", "trade", "Customs held my shipment.")
    assert found is not None
    assert (
        found.reason()
        == "kind is 'complaint' and category is 'trade' and the text mentions 'customs'"
    )
    assert match(rule, "tip", "trade", "Customs held my shipment.") is None
    assert match(rule, "complaint", "general", "Customs held my shipment.") is None
    assert match(rule, "complaint", "trade", "My shipment was held.") is None


def test_empty_conditions_match_anything() -> None:
    found = match(RuleConditions([], [], []), "comment", None, "")
    assert found is not None
    assert found.reason() == "the rule matches every case"
