"""The one way clinical knowledge files are loaded and checked (plain Python, no Django).

* ``Checker``: collects every problem of a set of files, each named by file and key, and the
  sources they cite; ``done()`` raises ``KnowledgeError`` listing them all.
* ``references()`` / ``read_references(check, path)``: the repository's reference list
  (``references.toml``), which every cited source must resolve in.
* ``cited_keys(text)`` / ``source_keys(text)``: the reference keys a free text, or a free-text
  source (``Cacchio2012 (LR+ 10.2 pub)``), cites.
"""

from .loader import (
    MARKED_PREFIXES,
    REFERENCES_PATH,
    Checker,
    KnowledgeError,
    Reference,
    cited_keys,
    read_references,
    references,
    source_keys,
)
from .red_flags import (
    RED_FLAGS_PATH,
    REFERRAL_URGENCIES,
    URGENCIES,
    RedFlagInfo,
    RedFlagRegistry,
    RedFlagSign,
    Referral,
    ReferralTexts,
    load_red_flags,
    read_red_flags,
    red_flags,
)

__all__ = [
    "MARKED_PREFIXES",
    "RED_FLAGS_PATH",
    "REFERENCES_PATH",
    "REFERRAL_URGENCIES",
    "URGENCIES",
    "Checker",
    "KnowledgeError",
    "RedFlagInfo",
    "RedFlagRegistry",
    "RedFlagSign",
    "Reference",
    "Referral",
    "ReferralTexts",
    "cited_keys",
    "load_red_flags",
    "read_red_flags",
    "read_references",
    "red_flags",
    "references",
    "source_keys",
]
