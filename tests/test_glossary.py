import pytest

from bot.glossary import expand_query, learn_acronyms


@pytest.mark.parametrize(
    ("text", "short", "long"),
    [
        ("the Department of Inspection for Factories and Establishments (DIFE) under", "DIFE",
         "Department of Inspection for Factories and Establishments"),
        ("the Ministry of Labour and Employment, (MoLE) Bangladesh", "MoLE", "Ministry of Labour and Employment"),
        ("Antimicrobial resistance (AMR) is", "AMR", "Antimicrobial resistance"),
        ("support to NOSHTRI — the National Occupational Safety and Health Training and Research Institute — in",
         "NOSHTRI", "National Occupational Safety and Health Training and Research Institute"),
        ("by the International Labour Organization’s (ILO) standards", "ILO", "International Labour Organization"),
    ],
)
def test_learns_pairs_the_documents_define(text: str, short: str, long: str) -> None:
    assert learn_acronyms([text])[short] == long


@pytest.mark.parametrize("text", ["prices rose (2021) sharply", "the report (see annex) says", "a (b) c"])
def test_ignores_parentheses_that_are_not_acronyms(text: str) -> None:
    assert learn_acronyms([text]) == {}


def test_expansion_goes_both_ways() -> None:
    acronyms = {"DIFE": "Department of Inspection for Factories and Establishments"}
    assert "Department of Inspection" in expand_query("who runs dife?", acronyms)
    assert "(DIFE)" in expand_query("What does the Department of Inspection for Factories and Establishments do?",
                                    acronyms)
    assert expand_query("nothing to expand", acronyms) == "nothing to expand"
