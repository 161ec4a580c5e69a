"""Strings another account chose: escaped wherever they are shown, bounded wherever they are stored. Pure.

A provider picks its share's name, its resource configurations' names and domains, its tags; RAM, EC2 and
VPC Lattice report them to us as they are, and RAM documents no length limit on a share's name. Such text
reaches terminals (``linkpilot status``, ``linkpilot reconcile``, the demo) and our stores (the audit
table, SSM parameters, EventBridge events, SNS messages, the function's log).

- :func:`escape`, for people: every character that could move a terminal's cursor, end a line (forging a
  row), reorder text or hide itself is written as a visible backslash escape (``\\x1b``, ``\\n``,
  ``\\u202e``), and a backslash as ``\\\\``, so the escaped text is reversible. The CLI's one table and text
  renderer applies it to every cell; JSON output needs nothing (``json.dumps`` escapes control characters
  and keeps the value exact).
- :func:`bound`, for storage: a value over its limit keeps its head and ends with a marker that says how
  much was cut and the SHA-256 of the whole value (``…[truncated 449,800 chars, sha256:0123456789abcdef]``),
  so one oversized field never makes a whole item, message or event be refused. The limits are here, with
  their reasons; the pure code that builds records applies them (``bound_fields``), the adapters do not.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any, Final, cast

# ------------------------------------------------------------------------------------------ for people
# Unicode categories a terminal may act on instead of showing: control (C0, DEL, C1), format (bidi
# embeddings, overrides and isolates, LRM/RLM, zero-width characters, the BOM), surrogates (a lone one cannot
# even be written as UTF-8), line and paragraph separators, and unassigned code points.
_HIDDEN: Final = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Cn"})
_SHORT: Final = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# printable ASCII except the backslash passes untouched; everything else is looked at
_LOOK_AT: Final = re.compile(r"[^\x20-\x5b\x5d-\x7e]")


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    short = _SHORT.get(char)
    if short is not None:
        return short
    if unicodedata.category(char) not in _HIDDEN:
        return char  # letters, marks, symbols, spaces of any script: shown as they are
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escape(text: str) -> str:
    """``text`` safe for a terminal line: no character that moves the cursor, breaks the line or hides.

    Control, format, surrogate, separator and unassigned characters become ``\\xNN`` / ``\\uNNNN`` /
    ``\\UNNNNNNNN`` (newline, carriage return and tab as ``\\n``, ``\\r``, ``\\t``), a backslash becomes two:
    different texts always look different, and the original can be read back.
    """
    return _LOOK_AT.sub(_escaped, text)


# ----------------------------------------------------------------------------------------- for storage
def utf8_size(text: str) -> int:
    """Bytes as DynamoDB, SNS and EventBridge count them (UTF-8; a lone surrogate as its 3 bytes)."""
    return len(text.encode("utf-8", "surrogatepass"))


def json_size(text: str) -> int:
    """Characters (= bytes: ASCII) the text takes inside a ``json.dumps`` document, quotes excluded."""
    return len(json.dumps(text)) - 2


def _marker(text: str, dropped: int) -> str:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"…[truncated {dropped:,} chars, sha256:{digest}]"


def bound(text: str, limit: int, *, size: Callable[[str], int] = utf8_size) -> str:
    """``text`` if ``size(text) <= limit``; else its longest head that fits with the truncation marker.

    The marker names the characters dropped and the first 16 hex digits of the SHA-256 of the whole text
    (UTF-8), so two different long values stay different and the stored one can be matched with the
    original. The result never exceeds ``limit`` and bounding it again changes nothing.
    """
    if size(text) <= limit:
        return text
    if size(_marker(text, len(text))) > limit:
        raise ValueError(f"a bound of {limit} leaves no room for the truncation marker")

    def fits(keep: int) -> bool:
        return size(text[:keep] + _marker(text, len(text) - keep)) <= limit

    # every character costs at least 1 in each measure, so the head is shorter than ``limit``; the
    # invariant ``fits(low)`` makes the answer valid even where the marker's digits shrink as the head grows
    low, high = 0, min(len(text), limit) + 1
    while high - low > 1:
        middle = (low + high) // 2
        if fits(middle):
            low = middle
        else:
            high = middle
    return text[:low] + _marker(text, len(text) - low)


def bound_fields[Value](
    record: Mapping[str, Value],
    limits: Mapping[str, int],
    default: int,
    *,
    size: Callable[[str], int] = utf8_size,
) -> dict[str, Value]:
    """The record with each string field bounded by its limit (``default`` for fields not named)."""
    bounded = dict(record)
    for key, value in record.items():
        if isinstance(value, str):
            bounded[key] = cast(Value, bound(value, limits.get(key, default), size=size))
    return bounded


def bound_tree(value: Any, limit: int) -> Any:
    """Every string in a JSON-like value (dicts, lists, tuples) bounded to ``limit`` UTF-8 bytes."""
    if isinstance(value, str):
        return bound(value, limit)
    if isinstance(value, Mapping):
        return {key: bound_tree(item, limit) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [bound_tree(item, limit) for item in value]
    return value


# ------------------------------------------------------------------------------------------- the bounds
# Sizes in UTF-8 bytes, as DynamoDB, SNS and EventBridge count them (for ASCII text a byte is a character).

# A name another account chose (a share's; RAM documents no limit). Real names are tens of characters; 1 KiB
# keeps any that a person would type and makes a hostile one cost the record at most 1 KiB.
NAME_BYTES: Final = 1_024
# An ARN as AWS reports it: the VPC Lattice API model caps a resource configuration ARN at 2,048 characters
# (botocore ``ResourceConfigurationArn``); RAM's ARNs are plain strings in its model. 2 KiB is also
# DynamoDB's limit for a partition key, which is an ARN in the audit table.
ARN_BYTES: Final = 2_048
# Our sentences around foreign text (a decision's reason, an action's detail, an AWS error message): a few
# names and ARNs each, so 8 KiB keeps every real one whole.
TEXT_BYTES: Final = 8_192
# A decision's resource ARNs, comma-joined: about 600 ARNs of today's length.
LIST_BYTES: Final = 65_536
# Everything else in a record: ids, codes, times, kinds (ours or AWS's, tens of characters).
OTHER_BYTES: Final = 1_024
# DynamoDB's key limits: partition key 2,048 bytes, sort key 1,024 bytes (DynamoDB developer guide,
# "Service, account, and table quotas").
PARTITION_KEY_BYTES: Final = 2_048
SORT_KEY_BYTES: Final = 1_024

# An audit item (consumer and provider). DynamoDB refuses an item over 400 KB, and a refused item fails
# the whole BatchWriteItem (every other record of the run is lost with it). With these limits an item is at
# most about 120 KB, attribute names included: a third of DynamoDB's limit.
AUDIT_FIELDS: Final[Mapping[str, int]] = {
    "pk": PARTITION_KEY_BYTES,
    "sk": SORT_KEY_BYTES,
    "share_name": NAME_BYTES,
    "invitation_arn": ARN_BYTES,
    "share_arn": ARN_BYTES,
    "resource_configuration_arn": ARN_BYTES,
    "principal": ARN_BYTES,
    "resources": LIST_BYTES,
    "reason": TEXT_BYTES,
    "detail": TEXT_BYTES,
    "dedupe": TEXT_BYTES,
}
AUDIT_ITEM_MAX_BYTES: Final = 400 * 1024

# An endpoint directory parameter (SSM, Standard tier: a value of at most 4 KB). Its value is compact JSON
# (``json.dumps``: non-ASCII written as \\u escapes, so sizes are measured as JSON text); with these limits,
# the keys and the short fields, a value stays under 3.8 KB. Real values are about 600 bytes (AWS's ARNs and
# DNS names; a DNS name is at most 253 characters).
DIRECTORY_VALUE_MAX: Final = 4_096
DIRECTORY_FIELDS: Final[Mapping[str, int]] = {
    "resource_configuration_arn": 512,
    "service_network_arn": 512,
    "associated_resource_arn": 512,
    "group_arn": 512,
    "dns_name": 512,
    "private_dns_name": 512,
}
DIRECTORY_OTHER: Final = 128  # ids, accessibility, state

# Strings of a notification or of the logged run summary: each bounded on its own, so one oversized name
# cannot push the rest out of an SNS message (256 KB) or a CloudWatch Logs event (256 KB).
MESSAGE_FIELD_BYTES: Final = TEXT_BYTES

# A table cell as the CLI shows it (``--output table``): long enough for our longest reasons, short enough
# that one foreign name cannot make every line of a table hundreds of thousands of columns wide. ``text``
# and ``json`` output keep the whole value.
TABLE_CELL_CHARS: Final = 512
