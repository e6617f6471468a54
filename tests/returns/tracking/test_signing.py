"""The carriers' signature scheme (returns/carriers/signing.py): a timestamp and the body under
HMAC-SHA256, the timestamp within the tolerance of our clock."""

import pytest

from returns.carriers.signing import SignatureError, signature_header, verify

SECRET = "whsec-example"
# The README's example (Webhooks), byte for byte.
DOC_BODY = (
    b'{"id": "evt-1", "tracking_number": "OL123456789X", "status": "in_transit", '
    b'"occurred_at": "2026-01-02T10:00:00+01:00"}'
)
DOC_AT = 1767344400
DOC_HEADER = "t=1767344400,v1=06bee57a29cd854f03a686c898d6028d92e1a3727d72c39e2955cd44a51a76c4"


def test_the_documented_example_is_what_we_sign_and_accept():
    # when
    header = signature_header(DOC_BODY, SECRET, DOC_AT)
    accepted_at = verify(DOC_BODY, SECRET, DOC_HEADER, now=DOC_AT + 10)
    # then
    assert header == DOC_HEADER
    assert accepted_at == DOC_AT


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [(-300, True), (300, True), (-301, False), (301, False), (-86400, False)],
)
def test_the_tolerance_holds_both_ways_its_bound_included(offset, accepted):
    # given: our clock is `offset` seconds from the signed moment... the other way round
    now = DOC_AT - offset
    # when
    try:
        verify(DOC_BODY, SECRET, DOC_HEADER, tolerance=300, now=now)
        outcome = True
    except SignatureError:
        outcome = False
    # then
    assert outcome is accepted


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("", "no signature header"),
        ("v1=06bee57a29cd854f03a686c898d6028d92e1a3727d72c39e2955cd44a51a76c4", "no timestamp"),
        ("sha256=06bee57a29cd854f03a686c898d6028d92e1a3727d72c39e2955cd44a51a76c4", "no timestamp"),
        ("t=1767344400", "no v1= signature"),
        ("t=tomorrow,v1=00", "not a number"),
        ("t=1767344400,v1=é", "does not match"),
        (
            "t=1767344401,v1=06bee57a29cd854f03a686c898d6028d92e1a3727d72c39e2955cd44a51a76c4",
            "match",
        ),
    ],
)
def test_a_malformed_or_altered_header_is_refused_saying_why(header, reason):
    # when
    with pytest.raises(SignatureError) as refused:
        verify(DOC_BODY, SECRET, header, now=DOC_AT)
    # then
    assert reason in str(refused.value)


def test_another_body_or_secret_does_not_match():
    # when / then
    with pytest.raises(SignatureError, match="does not match"):
        verify(DOC_BODY + b" ", SECRET, DOC_HEADER, now=DOC_AT)
    with pytest.raises(SignatureError, match="does not match"):
        verify(DOC_BODY, "another-secret", DOC_HEADER, now=DOC_AT)
    with pytest.raises(SignatureError, match="no secret"):
        verify(DOC_BODY, "", DOC_HEADER, now=DOC_AT)
