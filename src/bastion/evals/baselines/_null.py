"""Null models: scripted "models" that ignore what they are asked, played through a task's own solver.

Each is Inspect's ``mockllm`` provider with a ``custom_outputs`` function, so it runs in exactly the harness a
real model does (the task's dataset, solver, tools, limits and scorer); only the answers are canned:

- ``empty``: says nothing;
- ``refuse``: always declines;
- ``constant``: always gives one of the task's fixed answers (one baseline per answer, e.g. always "A");
- ``random``: picks one of those answers at random (seeded by the prompt, so a rerun gives the same picks).

Where the task's agent has a ``submit`` tool, the constant and random answers are submitted with it.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from inspect_ai.model import ChatMessage, Model, ModelOutput, ModelUsage, get_model
from inspect_ai.tool import ToolInfo

REFUSAL = "I'm sorry, but I can't help with that."
SUBMIT_TOOL = "submit"


@dataclass(frozen=True, slots=True)
class Answer:
    """One fixed answer a task accepts: ``label`` names it in reports (``always 'A'``)."""

    label: str
    text: str


def _output(text: str, tools: Sequence[ToolInfo], *, submits: bool) -> ModelOutput:
    if submits and any(t.name == SUBMIT_TOOL for t in tools):
        output = ModelOutput.for_tool_call("mockllm/model", SUBMIT_TOOL, {"answer": text})
    else:
        output = ModelOutput.from_content("mockllm/model", text)
    # usage is set so that mockllm does not count tokens itself (tiktoken downloads its encodings)
    output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    return output


def scripted_model(answer: Callable[[str], str], *, submits: bool = False) -> Model:
    """A model that answers every turn with ``answer(the conversation's text)``."""

    def generate(messages: list[ChatMessage], tools: list[ToolInfo], *_: Any) -> ModelOutput:
        return _output(answer("\n".join(m.text for m in messages)), tools, submits=submits)

    return get_model("mockllm/model", custom_outputs=generate)


def empty_model() -> Model:
    return scripted_model(lambda _: "")


def refusing_model() -> Model:
    return scripted_model(lambda _: REFUSAL)


def constant_model(answer: Answer) -> Model:
    return scripted_model(lambda _: answer.text, submits=True)


def random_model(answers: Sequence[Answer], seed: int = 0) -> Model:
    """Uniform over ``answers``; the pick depends only on a hash of the prompt, never on its meaning."""
    if not answers:
        raise ValueError("a random guess needs at least one answer to pick from")

    def pick(prompt: str) -> str:
        digest = hashlib.sha256(f"{seed}:{prompt}".encode()).digest()
        return random.Random(digest).choice(answers).text  # noqa: S311 - a baseline's coin, not cryptography

    return scripted_model(pick, submits=True)
