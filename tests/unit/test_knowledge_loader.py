"""The shared knowledge loader and the repository's one reference list."""

import ast
import tomllib
from pathlib import Path

import pytest

import clinic.knowledge
from assessments.differential import knowledge as differential
from clinic.knowledge import (
    REFERENCES_PATH,
    Checker,
    KnowledgeError,
    cited_keys,
    references,
    source_keys,
)
from rehab import engine, outcomes

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE_FILES = [
    differential.KNOWLEDGE_PATH,
    *sorted(engine.KNOWLEDGE_DIR.glob("*.toml")),
    outcomes.MEASURES_FILE,
]


def _texts(value, key=""):
    """(key, text) for every text in a file; list items keep their list's key."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _texts(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item, key)


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("[Goom2016]", ("Goom2016",)),
        ("[Lesher2008, mean age 61]", ("Lesher2008",)),
        ("[Koes2007; GK]", ("Koes2007",)),
        ("[Medscape-FNSF; evidence §4.5, §10]", ("Medscape-FNSF", "evidence §4.5", "evidence §10")),
        ("Contract; evidence §5 [Theiss2011]", ("Theiss2011", "evidence §5", "contract")),
        ("Seed: rare in endurance runners", ("seed",)),
        ("EST: no data, no change", ()),
    ],
)
def test_free_text_citations_are_read_as_reference_keys(text, keys):
    assert cited_keys(text) == keys


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("Cacchio2012 (LR+ 10.2 pub)", ("Cacchio2012",)),
        ("physiorunner; Bylund2010", ("physiorunner", "Bylund2010")),
        ("IHiPRN-table; Palsson2020 (restricted IR LR+ 4.83 pub)", ("IHiPRN-table", "Palsson2020")),
        ("Contract; evidence §5 [Theiss2011]", ("contract", "Theiss2011", "evidence §5")),
        ("evidence §2 prior table (EST)", ("evidence §2",)),
        ("EST: avulsions cluster under 15 [Kuske2016]", ("Kuske2016",)),
    ],
)
def test_a_free_text_source_names_its_leading_keys(text, keys):
    assert source_keys(text) == keys


def test_every_reference_has_a_citation_and_every_web_source_its_url():
    entries = references()
    assert {"seed", "contract", "findings.json", "evidence §5"} <= set(entries)
    for key, entry in entries.items():
        assert entry.citation.strip(), key
        if not (key in {"seed", "contract", "findings.json"} or key.startswith("evidence §")):
            assert entry.url and entry.url.startswith("http"), key


def test_every_key_cited_in_every_knowledge_file_is_in_the_reference_list():
    entries = references()
    cited = set()
    for path in KNOWLEDGE_FILES:
        for key, text in _texts(tomllib.loads(path.read_text(encoding="utf-8"))):
            if not key.endswith("source"):
                cited.update(cited_keys(text))
            elif path == differential.KNOWLEDGE_PATH:
                cited.update(source_keys(text))
            elif not text.startswith(("EST:", "GK:")):
                cited.add(text)  # a structured source list names keys
            else:
                cited.update(cited_keys(text))
    assert {"seed", "Goom2016", "Binkley1999", "Palsson2020", "evidence §4.8"} <= cited
    assert cited <= set(entries), sorted(cited - set(entries))


def test_no_file_in_the_repository_points_into_the_shared_folder():
    # The shared folder sits beside the repository; its path on this machine is never written.
    markers = (str(ROOT.parent / "shared"), "../" + "shared")  # split: not matching this file
    tracked = [
        path
        for folder in ("assessments", "clinic", "rehab", "docs", "templates", "tests", "scripts")
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and path.suffix in {".py", ".toml", ".md", ".html", ".json", ".txt"}
    ]
    assert tracked
    for path in tracked:
        text = path.read_text(encoding="utf-8")
        assert not any(marker in text for marker in markers), path


def test_the_checker_lists_every_problem_with_file_and_key(tmp_path):
    path = tmp_path / "example.toml"
    path.write_text('[thing]\nname = ""\nsource = ["Nobody2099", "EST:"]\n', encoding="utf-8")
    check = Checker()
    table = check.read(path)["thing"]
    check.text("example.toml: thing", table, "name")
    check.sources("example.toml: thing", table)
    check.check_references(references())
    with pytest.raises(KnowledgeError) as caught:
        check.done()
    assert caught.value.problems == [
        "example.toml: thing.name: must be a text",
        "example.toml: thing.source: 'EST:' needs a reason after the colon",
        "example.toml: thing.source: source 'Nobody2099' is not in the reference list "
        "(references.toml); cite a key there, or write 'EST: reason' or 'GK: reason'",
    ]


def test_a_file_that_is_not_toml_is_a_problem_not_a_crash(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[meta\n", encoding="utf-8")
    check = Checker()
    assert check.read(path) == {}
    assert check.problems[0].startswith("broken.toml: cannot be read")


def test_the_reference_list_is_part_of_the_rehab_knowledge_version(tmp_path):
    copy = tmp_path / "references.toml"
    copy.write_text(REFERENCES_PATH.read_text(encoding="utf-8") + "\n# reviewed\n", "utf-8")
    changed = engine.load_knowledge(engine.KNOWLEDGE_DIR, engine.ILLUSTRATIONS_DIR, copy)
    assert changed.version != engine.knowledge_version()


def test_the_differential_lists_every_problem_not_just_the_first(tmp_path):
    text = differential.KNOWLEDGE_PATH.read_text(encoding="utf-8")
    text = text.replace('when = "fadir = positive"', 'when = "fadir = maybe"', 1)
    text = text.replace(
        "lr.hamstring_strain = { est = 2.0,", "lr.hamstring_strain = { est = 9.0,", 1
    )
    broken = tmp_path / "knowledge.toml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(differential.KnowledgeError) as caught:
        differential.read_knowledge(broken)
    assert len(caught.value.problems) == 2
    assert all(p.startswith("knowledge.toml: weight[") for p in caught.value.problems)


def test_the_loader_imports_nothing_from_django():
    package = Path(clinic.knowledge.__file__).parent
    for module in package.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        imported = [
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        ] + [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        assert not any(name.startswith("django") for name in imported), module
