import pytest

from tweets.text import clean_text, parse_hashtags, parse_mentions, text_errors


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I love #Python and #python3", ["python", "python3"]),
        ("#été à #Paris", ["été", "paris"]),
        ("no #1 tags or a#b or &#39;", []),
        ("##double #ok", ["ok"]),
        ("#a_b, #c.", ["a_b", "c"]),
        ("#" + "x" * 101, []),
    ],
)
def test_parse_hashtags(text, expected):
    assert parse_hashtags(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hi @Alice and @bob_2!", ["alice", "bob_2"]),
        ("mail me at alice@example.com", []),
        ("@alice @ALICE", ["alice"]),
        ("@" + "a" * 31, []),
        ("(@carol)", ["carol"]),
    ],
)
def test_parse_mentions(text, expected):
    assert parse_mentions(text) == expected


def test_text_length_counts_code_points_after_trimming():
    assert text_errors(clean_text("  " + "é" * 280 + "  ")) == []
    assert text_errors(clean_text("😀" * 280)) == []
    assert text_errors("😀" * 281)
    assert text_errors(clean_text("   "))
