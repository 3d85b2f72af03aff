"""Scripted models for the evals tests: Inspect's ``mockllm/model`` with ``custom_outputs``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from inspect_ai.model import ChatMessage, Model, ModelOutput, ModelUsage, get_model


def reply(text: str) -> ModelOutput:
    output = ModelOutput.from_content("mockllm/model", text)
    # set usage so mockllm does not count tokens with tiktoken (which downloads its encodings)
    output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    return output


def scripted(answer: Callable[[str], str]) -> Model:
    """A model that answers each prompt with ``answer(last user/system text)``."""

    def generate(messages: list[ChatMessage], *_: Any) -> ModelOutput:
        return reply(answer("\n".join(m.text for m in messages)))

    return get_model("mockllm/model", custom_outputs=generate)


@pytest.fixture
def eval_data(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = shared_data / "evals"
    monkeypatch.setenv("BASTION_EVAL_DATA_DIR", str(path))
    return path
