"""A readable report of everything the differential knows, each item with its source.

Why: the knowledge must be reviewable by clinicians without reading code. The same report
feeds the ``differential_knowledge`` command (plain text) and a web page (its sections and
rows are plain data).
"""

from __future__ import annotations

from dataclasses import dataclass

from assessments.differential.knowledge import Knowledge, load_knowledge


@dataclass(frozen=True)
class ReportSection:
    title: str
    intro: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class KnowledgeReport:
    title: str
    version: str
    sections: tuple[ReportSection, ...]

    def as_text(self) -> str:
        """Plain text: one block per section, one line per row, columns separated by ' | '."""
        lines = [f"{self.title} -- knowledge version {self.version}", ""]
        for section in self.sections:
            lines += [section.title, "=" * len(section.title)]
            if section.intro:
                lines += [section.intro, ""]
            if section.columns:
                lines.append(" | ".join(section.columns))
                lines.append("-" * min(100, len(lines[-1])))
            lines += [" | ".join(row) for row in section.rows]
            lines.append("")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.as_text()


def _lr(value: float) -> str:
    return f"{value:.2f}"


def _sections(kb: Knowledge) -> tuple[ReportSection, ...]:
    policy = kb.policy
    sections = [
        ReportSection(
            "How the ranking works",
            f"{policy.reasoning}\n{policy.weight_scale}",
            ("setting", "value", "source"),
            (
                (
                    "published log-LR multiplied by",
                    f"{policy.published_log_shrink:g}",
                    policy.source,
                ),
                (
                    "estimated log-LR multiplied by",
                    f"{policy.estimated_log_shrink:g}",
                    policy.estimated_shrink_reason,
                ),
                ("largest LR used", f"{policy.lr_max:g}", policy.source),
                ("smallest LR used", f"{policy.lr_min:g}", policy.source),
                (
                    "highest probability shown",
                    f"{policy.probability_ceiling:g}",
                    policy.ceiling_reason,
                ),
                (
                    "bands",
                    f"likely from {kb.panel.likely_at_least:g}, possible from "
                    f"{kb.panel.possible_at_least:g}, unlikely below",
                    kb.panel.bands_reason,
                ),
                (
                    "ranking shown once recorded",
                    ", ".join(kb.panel.needs_recorded),
                    kb.panel.needs_recorded_reason,
                ),
            ),
        ),
        ReportSection(
            "Priors",
            f"Source: {kb.prior_source}. Columns renormalised over the eight causes. With no "
            f"onset recorded (or 'unknown') the prior is the mixture with sudden share "
            f"{kb.sudden_share:g} ({kb.sudden_share_source}). A recorded onset selects its "
            f"column: "
            + ", ".join(f"{value} -> {column}" for value, column in kb.onset_column.items())
            + ".",
            ("cause", "gradual onset", "sudden onset", "onset not known", "reason"),
            tuple(
                (
                    cause,
                    f"{kb.prior_columns['gradual'][cause]:.3f}",
                    f"{kb.prior_columns['sudden'][cause]:.3f}",
                    f"{kb.base_prior[cause]:.3f}",
                    kb.prior_reasons[cause],
                )
                for cause in kb.causes
            ),
        ),
        ReportSection(
            "Weights (likelihood ratios)",
            "One row per finding value and cause. 'figure' is the number in the knowledge "
            "file; published figures are shrunk and capped, estimates (EST) only capped. "
            "Causes not listed for a finding have LR 1.",
            ("finding", "group", "cause", "figure", "kind", "LR used", "log-LR", "source"),
            tuple(
                (
                    rule.condition.text,
                    rule.group or "-",
                    w.cause,
                    f"{w.figure:g}",
                    w.kind,
                    _lr(w.lr),
                    f"{w.log_lr:+.2f}",
                    w.source,
                )
                for rule in kb.weights
                for w in rule.weights
            ),
        ),
        ReportSection(
            "Correlated groups",
            "Per cause, only the strongest supporting and the strongest opposing weight in a "
            "group count (evidence §4.8).",
            ("group", "findings", "why"),
            tuple(
                (
                    name,
                    "; ".join(r.condition.text for r in kb.weights if r.group == name),
                    why,
                )
                for name, why in kb.groups.items()
            ),
        ),
        ReportSection(
            "Findings that do not feed the ranking",
            "",
            ("field", "reason"),
            tuple((name, reason) for name, reason in kb.not_diagnostic.items()),
        ),
        ReportSection(
            "Red flags",
            "Raised by rules whatever the ranking says; any one holding raises the flag. Any "
            "red flag sets the run advice to stop_and_seek_care.",
            ("code", "urgency", "raised when (any of)", "action", "source", "note"),
            tuple(
                (
                    flag.code,
                    flag.urgency,
                    " OR ".join(f"[{c.text}]" for c in flag.conditions),
                    f"{flag.action} {flag.extra_action}".strip(),
                    flag.source,
                    flag.note or "-",
                )
                for flag in kb.red_flags
            ),
        ),
        ReportSection(
            "Red-flag registry",
            "What each raised flag means, from clinic/knowledge/red_flags.toml: the one place "
            "for its urgency, the physio's action and the runner's words (the assessment, the "
            "plan refusal, the printed plan and the runner's page all read it).",
            ("code", "name", "urgency", "physio", "runner is told", "source"),
            tuple(
                (
                    info.code,
                    info.name,
                    info.urgency,
                    info.action,
                    info.runner,
                    "; ".join(info.source),
                )
                for info in kb.registry.flags.values()
            ),
        ),
        ReportSection(
            "Run advice (first rule that holds wins)",
            "",
            ("order", "advice", "when (any of)", "source"),
            tuple(
                (
                    str(i),
                    rule.advice,
                    "otherwise"
                    if rule.default
                    else " OR ".join(
                        [f"[{c.text}]" for c in rule.conditions]
                        + (["any red flag"] if rule.any_red_flag else [])
                    ),
                    rule.source,
                )
                for i, rule in enumerate(kb.run_advice, start=1)
            ),
        ),
        ReportSection(
            "See a professional",
            f"Needed when any trigger holds, and whenever a red flag is raised "
            f"({kb.see_professional_red_flags_source}).",
            ("trigger", "source"),
            tuple((t.condition.text, t.source) for t in kb.see_professional),
        ),
        ReportSection(
            "Tests never suggested as a next test",
            "No test at all is suggested while an emergency flag is raised (contract 1.1).",
            ("test", "withheld when (any of)", "reason"),
            tuple(
                (
                    gate.field,
                    " OR ".join(
                        [f"red flag {code}" for code in gate.red_flags]
                        + [f"P({cause}) >= {level:g}" for cause, level in gate.probability_at_least]
                        + [f"[{c.text}]" for c in gate.conditions]
                    ),
                    gate.reason,
                )
                for gate in kb.test_gates
            ),
        ),
        ReportSection(
            "Expected recovery",
            "",
            ("cause", "typical", "source"),
            tuple((r.cause, r.typical, r.source) for r in kb.recovery.values()),
        ),
    ]
    return tuple(sections)


def knowledge_report(knowledge: Knowledge | None = None) -> KnowledgeReport:
    """Every prior, weight and rule with its source; ``str()`` gives plain text."""
    kb = knowledge or load_knowledge()
    return KnowledgeReport(title=kb.title, version=kb.version, sections=_sections(kb))
