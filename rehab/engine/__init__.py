"""The rehab plan engine: plain Python, no Django.

Knowledge (ladders, protocols, pain-monitoring rules, patient texts) lives in TOML files in
``rehab/knowledge/``; the red flags (urgency, action, runner's words and signs) are the one
registry in ``clinic/knowledge/red_flags.toml``. Both cite the reference list in
``clinic/knowledge/`` and are checked on first use. Public API:

* ``build_plan(diagnosis=..., red_flags=...)`` -> ``PlanDraft`` or ``ReferFirst``
* ``propose_progression(tissue_or_diagnosis=..., ladder=..., current_step=..., logs=...)``
  -> ``Proposal``
* ``running_advice(...)`` / ``running_advice_from_log(log, ...)`` -> ``RunningAdvice``
* what the printed plan says: ``running_now(step, tissue, cleared_to_run=...)``,
  ``pain_zones(...)``, ``pain_scale(...)``, ``safety_signs(...)``, ``training_days(kind, n)``,
  ``glossary(diagnosis)``
* look-ups: ``ladders()``, ``ladder(code)``, ``ladder_steps(code)``, ``step(code)``,
  ``protocol(diagnosis)``, ``protocols()``, ``tissue(code)``, ``source(key)``,
  ``knowledge_version()``, ``knowledge()``,
  ``load_knowledge(directory, illustrations, references, red_flags_path)``
"""

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
from .plan import build_plan, running_guidance
from .progression import propose_progression, running_advice, running_advice_from_log
from .schema import (
    Avoid,
    Dose,
    GlossaryEntry,
    HipFlexion,
    Ladder,
    PainZone,
    PatientTexts,
    Phase,
    PlanDraft,
    PlannedExercise,
    Proposal,
    Protocol,
    RedFlagAction,
    ReferFirst,
    Rule,
    RunningAdvice,
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

__all__ = [
    "ILLUSTRATIONS_DIR",
    "KNOWLEDGE_DIR",
    "Avoid",
    "Dose",
    "GlossaryEntry",
    "HipFlexion",
    "Knowledge",
    "KnowledgeError",
    "Ladder",
    "PainZone",
    "PatientTexts",
    "Phase",
    "PlanDraft",
    "PlannedExercise",
    "Proposal",
    "Protocol",
    "RedFlagAction",
    "ReferFirst",
    "Rule",
    "RunningAdvice",
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
    "build_plan",
    "glossary",
    "knowledge",
    "knowledge_version",
    "ladder",
    "ladder_steps",
    "ladders",
    "load_knowledge",
    "pain_scale",
    "pain_zones",
    "propose_progression",
    "protocol",
    "protocols",
    "running_advice",
    "running_advice_from_log",
    "running_guidance",
    "running_now",
    "safety_signs",
    "source",
    "step",
    "tissue",
    "training_days",
]
