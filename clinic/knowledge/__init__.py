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

__all__ = [
    "MARKED_PREFIXES",
    "REFERENCES_PATH",
    "Checker",
    "KnowledgeError",
    "Reference",
    "cited_keys",
    "read_references",
    "references",
    "source_keys",
]
