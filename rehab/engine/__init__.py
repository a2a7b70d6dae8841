"""The rehab plan engine: plain Python, no Django.

Knowledge (ladders, protocols, pain-monitoring rules, red flags, sources) lives in TOML files in
``rehab/knowledge/`` and is validated on first use. Public API:

* ``build_plan(diagnosis=..., red_flags=...)`` -> ``PlanDraft`` or ``ReferFirst``
* ``propose_progression(tissue_or_diagnosis=..., ladder=..., current_step=..., logs=...)``
  -> ``Proposal``
* ``running_advice(...)`` / ``running_advice_from_log(log, ...)`` -> ``RunningAdvice``
* look-ups: ``ladders()``, ``ladder(code)``, ``ladder_steps(code)``, ``step(code)``,
  ``protocol(diagnosis)``, ``protocols()``, ``tissue(code)``, ``source(key)``,
  ``knowledge_version()``, ``knowledge()``, ``load_knowledge(directory, illustrations)``
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
from .plan import build_plan, running_guidance
from .progression import propose_progression, running_advice, running_advice_from_log
from .schema import (
    Avoid,
    Dose,
    HipFlexion,
    Ladder,
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
    RunningRuleText,
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
    "HipFlexion",
    "Knowledge",
    "KnowledgeError",
    "Ladder",
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
    "RunningRuleText",
    "SessionLog",
    "SourcedText",
    "Step",
    "Timeline",
    "TissueRule",
    "build_plan",
    "knowledge",
    "knowledge_version",
    "ladder",
    "ladder_steps",
    "ladders",
    "load_knowledge",
    "propose_progression",
    "protocol",
    "protocols",
    "running_advice",
    "running_advice_from_log",
    "running_guidance",
    "source",
    "step",
    "tissue",
]
