"""The rehab plan engine: plain Python, no Django.

Knowledge (ladders, protocols, pain-monitoring rules, patient texts) lives in TOML files in
``rehab/knowledge/``; the red flags (urgency, action, runner's words and signs) are the one
registry in ``clinic/knowledge/red_flags.toml``. Both cite the reference list in
``clinic/knowledge/`` and are checked on first use. Public API:

* ``build_plan(diagnosis=..., red_flags=..., weekly_km=...)`` -> ``PlanDraft`` or ``ReferFirst``;
  ``running_start(protocol, tissue, weekly_km)``: where running starts from the current km
* ``propose_progression(tissue_or_diagnosis=..., ladder=..., current_step=..., logs=...,
  phase=...)`` -> ``Proposal``, never above the step the plan's phase allows
* ``next_step(diagnosis=..., phase=..., step_code=...)`` -> ``NextStep`` (what the plan may
  name as next), ``phase_ceiling(protocol, phase, ladder)``, ``phase_allowing(protocol, step)``
* ``walk_through(diagnosis=..., entries=parse_entries(json_list))`` -> ``[Event]``: every
  proposal and phase move over a list of session logs (``manage.py plan_walkthrough``)
* ``running_advice(...)`` / ``running_advice_from_log(log, ...)`` -> ``RunningAdvice``
* clearance before running (the hip, bone): ``clearance_needed(protocol, tissue)``,
  ``clearance_reason(protocol)``, ``step_before_clearance(step, ...)``
* what the printed plan says: ``running_now(step, tissue, cleared_to_run=...)``,
  ``pain_zones(...)``, ``pain_scale(...)``, ``safety_signs(...)``, ``training_days(kind, n)``,
  ``glossary(diagnosis)``
* ``compose``: what a PT may add to a plan's phase (``step_fit``, ``library``), the ceiling of
  an item outside the protocol
* look-ups: ``ladders()``, ``ladder(code)``, ``ladder_steps(code)``, ``step(code)``,
  ``protocol(diagnosis)``, ``protocols()``, ``tissue(code)``, ``source(key)``,
  ``knowledge_version()``, ``knowledge()``,
  ``load_knowledge(directory, illustrations, references, red_flags_path)``
"""

from . import compose
from .knowledge import (
    ILLUSTRATIONS_DIR,
    KNOWLEDGE_DIR,
    Knowledge,
    KnowledgeError,
    knowledge,
    knowledge_version,
    ladder,
    ladder_steps,
    ladders,
    load_knowledge,
    protocol,
    protocols,
    source,
    step,
    tissue,
)
from .patient import glossary, pain_scale, pain_zones, running_now, safety_signs, training_days
from .plan import MAX_WEEKLY_KM, build_plan, running_guidance, running_start
from .progression import (
    clearance_needed,
    clearance_reason,
    next_step,
    phase_allowing,
    phase_ceiling,
    propose_progression,
    running_advice,
    running_advice_from_log,
    step_before_clearance,
)
from .schema import (
    Avoid,
    Dose,
    EntryLimit,
    GlossaryEntry,
    HipFlexion,
    Ladder,
    NextStep,
    PainZone,
    PatientTexts,
    Phase,
    PhaseCeiling,
    PlanDraft,
    PlannedExercise,
    Proposal,
    Protocol,
    RedFlagAction,
    ReferFirst,
    Rule,
    RunningAdvice,
    RunningClearance,
    RunningGuidance,
    RunningNow,
    RunningRuleText,
    SafetySign,
    SafetySigns,
    SessionLog,
    SourcedText,
    Step,
    Timeline,
    TissueRule,
)
from .walkthrough import Event, WalkthroughInputError, parse_entries, walk_through

__all__ = [
    "ILLUSTRATIONS_DIR",
    "KNOWLEDGE_DIR",
    "MAX_WEEKLY_KM",
    "Avoid",
    "Dose",
    "EntryLimit",
    "Event",
    "GlossaryEntry",
    "HipFlexion",
    "Knowledge",
    "KnowledgeError",
    "Ladder",
    "NextStep",
    "PainZone",
    "PatientTexts",
    "Phase",
    "PhaseCeiling",
    "PlanDraft",
    "PlannedExercise",
    "Proposal",
    "Protocol",
    "RedFlagAction",
    "ReferFirst",
    "Rule",
    "RunningAdvice",
    "RunningClearance",
    "RunningGuidance",
    "RunningNow",
    "RunningRuleText",
    "SafetySign",
    "SafetySigns",
    "SessionLog",
    "SourcedText",
    "Step",
    "Timeline",
    "TissueRule",
    "WalkthroughInputError",
    "build_plan",
    "clearance_needed",
    "clearance_reason",
    "compose",
    "glossary",
    "knowledge",
    "knowledge_version",
    "ladder",
    "ladder_steps",
    "ladders",
    "load_knowledge",
    "next_step",
    "pain_scale",
    "pain_zones",
    "parse_entries",
    "phase_allowing",
    "phase_ceiling",
    "propose_progression",
    "protocol",
    "protocols",
    "running_advice",
    "running_advice_from_log",
    "running_guidance",
    "running_now",
    "running_start",
    "safety_signs",
    "source",
    "step",
    "step_before_clearance",
    "tissue",
    "training_days",
    "walk_through",
]
