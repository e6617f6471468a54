"""An email's MIME bytes written for less, the same bytes: what Django's `as_bytes` writes from
the message tree `EmailMessage.message()` builds, without three costs of Python's email
package that were most of it (bench/README.md, Worker):

- each header goes through `email.header.Header` folding again, even one that is short plain
  ASCII, which that folding gives back unchanged (`_Compat32.fold_binary` writes those itself;
  the others are folded as before);
- each multipart's boundary is drawn by `email.generator`, which compiles a regular expression
  for each new boundary to check it is in no line of the parts (`with_boundaries` draws it the
  same way, random and of the same form, and checks the parts' text with a substring search,
  stricter than the line match);
- the From header: Django encodes it for each message (a name not in ASCII is parsed and
  written as encoded words, `sanitize_address`); `from_header` keeps what it writes for each
  sender, and the message is given that ASCII text, which Django sets as it is.

`cheaper_to_write(message)` prepares a message tree for that; its bytes come from the stock
generator. tests/notifications/test_mime.py compares them with Django's own.
"""

import functools
import random
import re
import sys
from email._policybase import Compat32

from django.core.mail.message import forbid_multi_line_headers

# A header value Header folding gives back as it is when it fits on the line: printable ASCII
# words, one space between two (Header drops a space at the end and folds at runs of spaces).
_PLAIN = re.compile(r"[!-~]+(?: [!-~]+)*")


class _Compat32(Compat32):
    """compat32 (the policy Django's messages use), writing short plain headers directly."""

    def fold_binary(self, name, value):
        limit = self.max_line_length
        if (
            isinstance(value, str)
            and limit
            and len(name) + 2 + len(value) <= limit
            and _PLAIN.fullmatch(value)
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


COMPAT32 = _Compat32()

# email.generator's boundary: 15 "=", the random number at its full width, "==".
_WIDTH = len(repr(sys.maxsize - 1))


def _boundary(taken: list[str]) -> str:
    boundary = "=" * 15 + f"{random.randrange(sys.maxsize):0{_WIDTH}d}" + "=="
    chosen, counter = boundary, 0
    while any("--" + chosen in text for text in taken):
        chosen, counter = f"{boundary}.{counter}", counter + 1
    return chosen


def with_boundaries(message) -> None:
    """Give every multipart of the tree a boundary, as the generator would: one found in no
    text of its parts (the leaves' payloads as they will be written, every header, the
    delimiters of the boundaries already chosen)."""
    parts = list(message.walk())
    texts = [str(value) for part in parts for value in part.values()]
    texts += [part.get_payload() for part in parts if not part.is_multipart()]
    texts = [text for text in texts if isinstance(text, str)]
    for part in reversed(parts):  # the generator's order: the inner ones first
        if part.get_content_maintype() == "multipart" and part.get_boundary() is None:
            boundary = _boundary(texts)
            part.set_boundary(boundary)
            texts.append("--" + boundary)


def cheaper_to_write(message):
    """`message` (a MIME tree of Django's), made to write its bytes for less: the same bytes
    as before, but for the random boundaries."""
    with_boundaries(message)
    message.policy = COMPAT32  # the generator folds the whole tree's headers with it
    return message


@functools.lru_cache(maxsize=256)
def from_header(sender: str, encoding: str) -> str:
    """The From header's text Django writes for `sender` (its own function), once per sender:
    ASCII, so that Django's message sets it unchanged."""
    return forbid_multi_line_headers("From", sender, encoding)[1]
