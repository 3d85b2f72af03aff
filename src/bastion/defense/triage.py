"""The AI triage assistant's agent: for one exposure, a model (any Inspect model name; tests script
``mockllm/model``) reads the advisory and the agency's usage evidence (an import graph, code excerpts, notes)
and proposes a plain-language explanation, how likely the flaw is reachable, a remediation plan and a VEX draft
with its justification.

The answer is JSON, parsed and validated here (``TriageAnswer``); an answer that is not is a
``TriageAnswerInvalid`` naming what was wrong, never a crash. What the model says is only ever a proposal:
``bastion.defense.triage_service`` records it and applies nothing until a person confirms it. The deterministic
engine (matching, SSVC) never depends on a model.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bastion.core.errors import BastionError, InvalidInput, OperationalError
from bastion.core.ids import VulnID

MAX_EVIDENCE_CHARS = 60_000  # all of one proposal's evidence together
MAX_ANSWER_TOKENS = 4096
_FENCED = re.compile(r"```(?:json)?\s*\n(.*?)```", re.S)


class TriageError(BastionError):
    default_code = "triage_error"


class TriageInputInvalid(TriageError, InvalidInput):  # noqa: N818 - names a kind, like the core errors
    default_code = "triage_input_invalid"


class TriageAnswerInvalid(TriageError, OperationalError):  # noqa: N818 - as above
    """The model answered, but not with a usable proposal (not JSON, or JSON missing or contradicting fields)."""

    default_code = "triage_answer_invalid"


class TriageModelFailed(TriageError, OperationalError):  # noqa: N818 - as above
    """The model could not be reached or refused to answer."""

    default_code = "triage_model_failed"


class Reachability(StrEnum):
    LIKELY = "likely"  # the evidence shows the vulnerable code is used
    POSSIBLE = "possible"
    UNLIKELY = "unlikely"  # the evidence shows it is not used
    UNKNOWN = "unknown"  # the evidence does not say


class VexStatus(StrEnum):
    NOT_AFFECTED = "not_affected"
    AFFECTED = "affected"
    FIXED = "fixed"
    UNDER_INVESTIGATION = "under_investigation"


# OpenVEX's justifications (CycloneDX's analysis justifications are mapped from these by the VEX exporter).
Justification = Literal[
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
]
JUSTIFICATIONS: tuple[str, ...] = get_args(Justification)


class VexDraft(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    status: VexStatus
    justification: Justification | None = None
    detail: str = Field(min_length=1, max_length=4000, description="The impact or action statement.")

    @model_validator(mode="after")
    def _justified(self) -> VexDraft:
        if self.status is VexStatus.NOT_AFFECTED and self.justification is None:
            raise ValueError("a not_affected draft needs a justification")
        if self.status is not VexStatus.NOT_AFFECTED and self.justification is not None:
            raise ValueError("only a not_affected draft has a justification")
        return self


class TriageAnswer(BaseModel):
    """What the model must answer: validated on construction."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    explanation: str = Field(min_length=1, max_length=8000)
    reachability: Reachability
    reachability_reasoning: str = Field(min_length=1, max_length=4000)
    remediation: list[str] = Field(min_length=1, max_length=20)
    vex: VexDraft


class EvidenceKind(StrEnum):
    IMPORT_GRAPH = "import_graph"
    CODE_EXCERPT = "code_excerpt"
    NOTE = "note"


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: EvidenceKind
    name: str = Field(min_length=1, max_length=300, description="A file path, module or title.")
    text: str = Field(min_length=1, max_length=MAX_EVIDENCE_CHARS)


@dataclass(frozen=True, slots=True)
class TriageInputs:
    """Everything the model reads, recorded with the proposal."""

    exposure_id: str
    project: str
    purl: str
    advisory_id: VulnID
    aliases: tuple[str, ...]
    summary: str
    details: str
    severity: str | None
    fixed_versions: tuple[str, ...]
    in_kev: bool
    evidence: tuple[Evidence, ...] = field(default=())

    def __post_init__(self) -> None:
        total = sum(len(e.text) for e in self.evidence)
        if total > MAX_EVIDENCE_CHARS:
            raise TriageInputInvalid(
                f"the usage evidence is {total} characters; at most {MAX_EVIDENCE_CHARS} are read",
                hint="send the import graph and the few excerpts that call into the package",
            )

    def as_record(self) -> dict[str, Any]:
        return {
            "exposure_id": self.exposure_id,
            "project": self.project,
            "purl": self.purl,
            "advisory_id": self.advisory_id,
            "aliases": list(self.aliases),
            "summary": self.summary,
            "details": self.details,
            "severity": self.severity,
            "fixed_versions": list(self.fixed_versions),
            "in_kev": self.in_kev,
            "evidence": [e.model_dump(mode="json") for e in self.evidence],
        }


SYSTEM = (
    "You help a government agency's security team triage one vulnerability in one of its systems. Read the "
    "advisory and the usage evidence the agency supplied, and answer with one JSON object in a ```json fenced "
    "block, nothing else, with exactly these keys:\n"
    '- "explanation": what the flaw is and what it means for this system, in plain language;\n'
    '- "reachability": one of "likely", "possible", "unlikely", "unknown" (how likely the vulnerable code is '
    "reached, judged only from the evidence);\n"
    '- "reachability_reasoning": which evidence supports that;\n'
    '- "remediation": a list of concrete steps, most important first;\n'
    '- "vex": {"status": one of "not_affected", "affected", "fixed", "under_investigation"; "justification": '
    f"only for not_affected, one of {', '.join(JUSTIFICATIONS)}; otherwise null; "
    '"detail": the impact statement (why) or the action statement (what to do)}.\n'
    "Say not_affected only when the evidence shows it; when unsure, say under_investigation."
)


def prompt(inputs: TriageInputs) -> str:
    evidence = (
        "\n\n".join(f"--- {e.kind.value}: {e.name} ---\n{e.text}" for e in inputs.evidence)
        or "(the agency supplied no usage evidence)"
    )
    advisory = [
        f"Advisory: {inputs.advisory_id}" + (f" (aliases: {', '.join(inputs.aliases)})" if inputs.aliases else ""),
        f"Severity: {inputs.severity or 'not scored'}",
        f"In CISA's Known Exploited Vulnerabilities catalogue: {'yes' if inputs.in_kev else 'no'}",
        f"Fixed in: {', '.join(inputs.fixed_versions) or 'no fixed version known'}",
        f"Summary: {inputs.summary or '(none)'}",
        f"Details:\n{inputs.details or '(none)'}",
    ]
    return "\n\n".join(
        [
            f"System: {inputs.project}",
            f"Affected component: {inputs.purl}",
            "\n".join(advisory),
            f"Usage evidence:\n{evidence}",
        ]
    )


def prompt_sha256(system: str, user: str) -> str:
    """The hash recorded with a proposal: of exactly the messages the model was sent."""
    return hashlib.sha256(json.dumps([system, user], ensure_ascii=False).encode("utf-8")).hexdigest()


def parse_answer(answer: str) -> TriageAnswer:
    """The proposal in the model's answer (a ```json block, or the bare answer). Raises ``TriageAnswerInvalid``
    saying what was wrong."""
    fenced = _FENCED.search(answer)
    text = (fenced.group(1) if fenced else answer).strip()
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as e:
        raise TriageAnswerInvalid(
            f"the model's answer is not JSON ({e.msg} at line {e.lineno} column {e.colno})",
            hint="try again, or another model",
            details={"answer": answer[:2000]},
        ) from None
    try:
        return TriageAnswer.model_validate(raw)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'answer'}: {err['msg']}" for err in e.errors()[:10]
        )
        raise TriageAnswerInvalid(
            f"the model's answer is not a usable proposal: {problems}",
            hint="try again, or another model",
            details={"answer": answer[:2000]},
        ) from None


ModelFactory = Callable[[str], Any]


def _inspect_model(name: str) -> Any:
    from inspect_ai.model import get_model

    return get_model(name)


@dataclass(frozen=True, slots=True)
class AgentAnswer:
    model: str  # provider/name, as Inspect names the model it asked
    system: str
    user: str
    answer: str

    @property
    def prompt_sha256(self) -> str:
        return prompt_sha256(self.system, self.user)


class TriageAgent:
    """Asks a model, through Inspect's model API, for a proposal."""

    def __init__(self, models: ModelFactory | None = None) -> None:
        self._models = models or _inspect_model

    def ask(self, model_name: str, inputs: TriageInputs) -> AgentAnswer:
        try:
            from inspect_ai.model import ChatMessageSystem, ChatMessageUser, GenerateConfig
        except ImportError as e:
            raise TriageModelFailed(
                "the triage assistant needs Inspect AI, which is not installed",
                hint="pip install 'bastion[evals]'",
            ) from e
        user = prompt(inputs)
        try:
            model = self._models(model_name)
            messages: Sequence[Any] = [ChatMessageSystem(content=SYSTEM), ChatMessageUser(content=user)]
            config = GenerateConfig(temperature=0.0, max_tokens=MAX_ANSWER_TOKENS)
            output = asyncio.run(model.generate(list(messages), config=config))
        except BastionError:
            raise
        except Exception as e:  # any provider's failure (network, auth, an unknown model) is reported
            raise TriageModelFailed(
                f"the model {model_name!r} did not answer: {type(e).__name__}: {e}"[:500],
                hint="check the model name (provider/model) and its API key in the environment",
            ) from e
        if getattr(output, "error", None):
            raise TriageModelFailed(f"the model {model_name!r} failed: {output.error}"[:500])
        # Inspect's Model prints as provider/name, the model actually asked (a role or alias resolved)
        return AgentAnswer(model=str(model), system=SYSTEM, user=user, answer=str(output.completion))
