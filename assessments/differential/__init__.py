"""The posterior-thigh-pain differential: findings in, an explained ranking out.

Plain Python, no Django import, so it can be tested and reused without a database. The
clinical knowledge lives in ``knowledge.toml`` (priors, likelihood ratios with sources,
correlated groups and rules); :func:`rank` validates findings and returns a frozen
:class:`Ranking`; :func:`ranking_to_contract` gives the JSON shape fixed by the contract.
"""

from assessments.differential.contract import (
    CaseOutcome,
    rank_batch,
    rank_contract_input,
    ranking_to_contract,
)
from assessments.differential.engine import posterior, rank
from assessments.differential.knowledge import Knowledge, KnowledgeError, load_knowledge
from assessments.differential.report import knowledge_report
from assessments.differential.result import (
    CauseResult,
    Contribution,
    ExpectedRecovery,
    NextTest,
    Ranking,
    RedFlag,
    RunAdvice,
    SeeProfessional,
)
from assessments.vocabulary import FindingsError

__all__ = [
    "CaseOutcome",
    "CauseResult",
    "Contribution",
    "ExpectedRecovery",
    "FindingsError",
    "Knowledge",
    "KnowledgeError",
    "NextTest",
    "Ranking",
    "RedFlag",
    "RunAdvice",
    "SeeProfessional",
    "knowledge_report",
    "load_knowledge",
    "posterior",
    "rank",
    "rank_batch",
    "rank_contract_input",
    "ranking_to_contract",
]
