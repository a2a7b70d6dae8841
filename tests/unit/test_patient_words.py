"""Every text the runner reads is plain English: Flesch–Kincaid grade 7 or below.

``runner_texts`` walks the loaded knowledge and returns each runner-facing text with where it
comes from. Runner-facing, read on the printed plan, the runner's page or the referral sheet:

- ladder steps: purpose, how_to, cues, should_feel, progress_when;
- protocols: what_is_going_on, referral_note, avoid (what and why), timeline summary,
  why running waits for a clearance (running_clearance.runner), safety_net, and per phase its
  goal, exit criteria, running note and other activities;
- running rules printed in a plan (``in_plan``): when and do;
- patient_texts.toml: same-day and review signs, glossary meanings, "running now" answers,
  pain zones;
- the red-flag registry: the runner's instruction, the signs and the referral's "avoid" lines.

Skipped, with the reason:

- step and ladder names, phase names, glossary terms: titles of a few words, where a grade
  says nothing (the words themselves are explained in the glossary);
- ladder purpose, hip-flexion notes, tissue ``why``/``note``, phase entry criteria, ceilings'
  and entry limits' ``why``, rule ``reason`` templates, running_clearance ``physio``, protocol
  ``refer_reason``, red-flag ``action`` and referral ``question``: written for the physio
  (plan screen, letter);
- outcome measures (LEFS, VISA-H item wording): validated questionnaires, whose wording may
  not change without losing the score's validity.

Scoring rule: Flesch–Kincaid is an average over sentences, meaningless for a three-word cue.
A list field (how_to, cues, safety_net, exit, a flag's signs) is printed as one block, so it is
scored as one passage (its lines joined); a passage under ``MIN_WORDS`` words is not scored.
"""

import re
from collections.abc import Iterator

import pytest
import textstat

from clinic.knowledge.red_flags import red_flags
from rehab import engine

MAX_GRADE = 7.0
MIN_WORDS = 8


def _joined(lines) -> str:
    return " ".join(
        line if line.rstrip().endswith((".", "!", "?", ":")) else f"{line}." for line in lines
    )


def runner_texts(kb: engine.Knowledge | None = None) -> Iterator[tuple[str, str]]:
    """(where, text) for every runner-facing text of the knowledge; lists as one passage."""
    kb = kb or engine.knowledge()
    for code, step in kb.steps.items():
        yield f"step {code}.purpose", step.purpose
        yield f"step {code}.how_to", _joined(step.how_to)
        yield f"step {code}.cues", _joined(step.cues)
        yield f"step {code}.should_feel", step.should_feel
        yield f"step {code}.progress_when", step.progress_when
    for code, protocol in kb.protocols.items():
        yield f"protocol {code}.what_is_going_on", protocol.what_is_going_on
        if protocol.referral_note:
            yield f"protocol {code}.referral_note", protocol.referral_note
        for i, avoid in enumerate(protocol.avoid):
            yield f"protocol {code}.avoid[{i}]", f"{avoid.what} {avoid.why}"
        yield f"protocol {code}.timeline", protocol.timeline.summary
        if protocol.running_clearance:
            yield f"protocol {code}.running_clearance", protocol.running_clearance.runner
        yield f"protocol {code}.safety_net", _joined(protocol.safety_net)
        for phase in protocol.phases:
            where = f"protocol {code}.phase[{phase.number}]"
            yield f"{where}.goal", phase.goal
            yield f"{where}.exit", _joined(phase.exit)
            yield f"{where}.running_note", phase.running_note
            for i, other in enumerate(phase.other):
                yield f"{where}.other[{i}]", other.text
    texts = kb.running_start_texts  # filled with figures as a plan would print them
    figures = {"km": 32, "step": "easy running", "dose": "20 min", "cap": 16, "percent": 50}
    for field in ("ran", "not_running", "volume", "later"):
        yield f"running start {field}", getattr(texts, field).format(weeks=2, **figures)
    for rule in kb.running_rules:
        if rule.in_plan and rule.do:
            yield f"running rule {rule.code}", f"{rule.when} {rule.do}"
    patient = kb.patient
    for i, sign in enumerate((*patient.same_day_signs, *patient.review_signs)):
        yield f"safety sign [{i}]", sign.text
    for entry in patient.glossary:
        yield f"glossary {entry.term!r}", entry.meaning
    for rule in patient.running_now:
        yield f"running_now {rule.code}", f"{rule.headline} {rule.explanation}"
    for zone in patient.pain_zones:
        for field in ("meaning", "pain_free_meaning", "no_scores_meaning", "do"):
            if getattr(zone, field):
                yield f"pain zone {zone.code}.{field}", getattr(zone, field)
    for code, flag in red_flags().flags.items():
        yield f"red flag {code}.runner", flag.runner
        yield f"red flag {code}.signs", _joined(sign.text for sign in flag.signs)
        if flag.referral:
            yield f"red flag {code}.referral.avoid", _joined(flag.referral.avoid)


def graded_texts() -> list[tuple[str, float, str]]:
    """(where, grade, text) for each scored passage."""
    return [
        (where, textstat.flesch_kincaid_grade(text), text)
        for where, text in runner_texts()
        if len(text.split()) >= MIN_WORDS
    ]


def test_the_collector_finds_the_texts_a_runner_reads():
    wheres = {where.split(" ", 1)[0] for where, _ in runner_texts()}
    assert {"step", "protocol", "glossary", "red", "pain", "running_now", "safety"} <= wheres
    assert "running" in wheres  # running rules and the running start
    assert len(graded_texts()) > 200


def test_every_runner_text_reads_at_grade_seven_or_below():
    too_hard = [
        f"{where}: grade {grade:.1f}: {text}"
        for where, grade, text in graded_texts()
        if grade > MAX_GRADE
    ]
    assert not too_hard, f"{len(too_hard)} texts above grade {MAX_GRADE}:\n" + "\n".join(too_hard)


def test_a_hard_text_is_caught():
    hard = (
        "Eccentric neuromuscular conditioning attenuates musculotendinous vulnerability "
        "through progressive sarcomerogenesis and architectural adaptation."
    )
    assert textstat.flesch_kincaid_grade(hard) > MAX_GRADE


# --- No self-administered hop test on hip or bone plans ---------------------------------------

NO_HOP_TISSUES = ("bone", "joint")  # a hop can complete a femoral-neck stress fracture
NEGATED_HOP = re.compile(r"\b(do not|don't|no|never)\b[^.]*\bhop", re.I)
HOP_CHECK = re.compile(r"\bhop\w*\b[^.]*\b(test|check|without pain|painful leg)\b", re.I)


def _printed_for(diagnosis: str) -> list[str]:
    """The runner's texts in a plan for ``diagnosis``: its safety signs, the protocol's own
    texts and those of every step its phases prescribe."""
    protocol = engine.protocol(diagnosis)
    signs = engine.safety_signs(protocol=protocol, tissue=engine.tissue(protocol.tissue or ""))
    steps = {
        item.step.code
        for phase in protocol.phases
        for item in (*phase.exercises, *phase.activities)
    } | {phase.running.code for phase in protocol.phases}
    own = (f"protocol {diagnosis}.", *(f"step {code}." for code in steps))
    return [
        *signs.emergency,
        *signs.same_day,
        *signs.review,
        *(
            f"Do not do this: {text}" if ".avoid[" in where else text  # printed under "Avoid"
            for where, text in runner_texts()
            if where.startswith(own)
        ),
    ]


def _hop_self_tests(texts: list[str]) -> list[str]:
    return [t for t in texts if HOP_CHECK.search(t) and not NEGATED_HOP.search(t)]


@pytest.mark.parametrize(
    "diagnosis",
    [p.diagnosis for p in engine.knowledge().protocols.values() if p.tissue in NO_HOP_TISSUES],
)
def test_hip_and_bone_plans_never_ask_the_runner_to_hop_test(diagnosis):
    assert not _hop_self_tests(_printed_for(diagnosis))


def test_a_tendon_plan_still_prints_the_hop_check():
    """The check above can fail: the same review sign is printed where hopping is safe."""
    assert _hop_self_tests(_printed_for("proximal_hamstring_tendinopathy"))
