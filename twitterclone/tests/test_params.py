"""The one integer query-parameter parser, the cursor codec and the path converters."""

from __future__ import annotations

import base64
import random
import string

import pytest
from rest_framework.pagination import Cursor

from twitterclone.converters import BIGINT_MAX
from twitterclone.errors import InvalidInput
from twitterclone.pagination import MAX_OFFSET, MAX_POSITION, CursorCodec
from twitterclone.params import IntegerParameter, parse_bounded_int

LIMIT = IntegerParameter("limit", 1, 50, 10)

# Each of these is accepted by int() or str.isdigit() (or both), and none is a plain number.
NOT_PLAIN_NUMBERS = [
    "\u00b2",  # SUPERSCRIPT TWO: isdigit() is True, int() raises
    "\u0665",  # ARABIC-INDIC DIGIT FIVE: int() gives 5
    "\uff15",  # FULLWIDTH DIGIT FIVE: int() gives 5
    " 5",
    "5 ",
    "+5",
    "1_0",
    "5\n",
    "0x10",
    "1e1",
    "1.0",
    "",
    "-",
    "\x00",
    "5\x00",
]


@pytest.mark.parametrize("raw", NOT_PLAIN_NUMBERS)
def test_parser_rejects_what_int_or_isdigit_would_let_through(raw):
    assert parse_bounded_int(raw, minimum=0, maximum=100) is None
    with pytest.raises(InvalidInput) as caught:
        LIMIT.parse_value(raw)
    assert caught.value.fields == {"limit": ["A whole number from 1 to 50."]}


@pytest.mark.parametrize(
    ("raw", "minimum", "maximum", "expected"),
    [
        ("5", 1, 50, 5),
        ("050", 1, 50, 50),
        ("0", 1, 50, None),
        ("51", 1, 50, None),
        ("-1", 1, 50, None),
        ("-1", -5, 5, -1),
        ("-6", -5, 5, None),
        (str(BIGINT_MAX), 0, BIGINT_MAX, BIGINT_MAX),
        (str(BIGINT_MAX + 1), 0, BIGINT_MAX, None),
        ("9" * 20, 0, 10**30, None),  # more than 19 digits is never parsed at all
        ("1" * 5000, 0, BIGINT_MAX, None),
    ],
)
def test_parser_enforces_the_declared_bounds(raw, minimum, maximum, expected):
    assert parse_bounded_int(raw, minimum=minimum, maximum=maximum) == expected


def test_absent_parameter_is_its_default_and_the_schema_declares_bounds_and_default():
    assert LIMIT.parse_value(None) == 10
    assert LIMIT.schema() == {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}


@pytest.mark.parametrize(
    "cursor",
    [
        Cursor(offset=0, reverse=False, position=1),
        Cursor(offset=0, reverse=True, position="12345"),
        Cursor(offset=MAX_OFFSET, reverse=True, position=MAX_POSITION),
        Cursor(offset=3, reverse=False, position=0),
    ],
)
def test_cursor_round_trips(cursor):
    encoded = CursorCodec.encode(cursor)
    assert len(encoded) == 12
    assert CursorCodec.decode(encoded) == cursor._replace(position=int(cursor.position))


def test_every_string_of_the_documented_shape_decodes_to_a_cursor_in_range():
    # The schema's pattern is the whole truth: positive data is never refused.
    rng = random.Random(1)
    alphabet = string.ascii_letters + string.digits + "-_"
    for _ in range(2000):
        cursor = CursorCodec.decode("".join(rng.choice(alphabet) for _ in range(12)))
        assert 0 <= cursor.position <= MAX_POSITION
        assert 0 <= cursor.offset <= MAX_OFFSET


@pytest.mark.parametrize(
    "encoded",
    [
        base64.b64encode(b"p=\xc2\xb2").decode(),  # DRF's format with a Unicode digit as position
        base64.b64encode(b"p=x").decode(),
        base64.b64encode(b"o=1&r=0&p=12").decode(),
        "AAAAAAAAAAA=",  # padding: 11 characters of data
        "AAAAAAAAAAAAA",
        "AAAAAAAAAAA+",  # standard, not URL-safe, base64
        "AAAAAAAAAAA\u00b2",
        "AAAAAAAAAAA\x00",
        "!!!!!!!!!!!!",
        "",
    ],
)
def test_cursor_codec_refuses_anything_else(encoded):
    with pytest.raises(InvalidInput) as caught:
        CursorCodec.decode(encoded)
    assert list(caught.value.fields) == ["cursor"]


def test_cursor_codec_refuses_to_encode_what_it_could_not_decode():
    with pytest.raises(ValueError):
        CursorCodec.encode(Cursor(offset=0, reverse=False, position=MAX_POSITION + 1))
    with pytest.raises(ValueError):
        CursorCodec.encode(Cursor(offset=MAX_OFFSET + 1, reverse=False, position=1))
