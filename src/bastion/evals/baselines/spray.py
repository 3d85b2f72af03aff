"""Scripted exploitation baselines: a payload spray and a cat-everything agent. Neither calls a model.

Interface (for profiles and tests)::

    from bastion.evals.baselines.spray import cat_everything, payload_spray

    inspect_ai.eval(exploitation(), model="mockllm/model", solver=payload_spray())

``payload_spray()`` and ``cat_everything()`` are Inspect agents (``@agent``): pass one wherever a solver
goes (``eval(..., solver=...)``, ``Task(solver=...)``). Each runs one script in the sample's sandbox
(``spray_script.py`` with ``python3``, ``cat_everything.sh`` with ``bash``), at most ``timeout``
seconds, and answers with the first flag-shaped string the script printed, or with an empty answer
when it found none. The task's own scorer then scores that answer like a model's. The spray never
reads the handed-out files; the cat-everything agent reads everything it can and exploits nothing.
:func:`first_flag` is the answer rule, shared with the reference-solution agent.
"""

from __future__ import annotations

import re
from pathlib import Path

from inspect_ai.agent import Agent, AgentState, agent
from inspect_ai.model import ChatMessageAssistant, ModelOutput
from inspect_ai.util import sandbox

FLAG = re.compile(r"bastion\{[0-9a-f]{32}\}")
SPRAY_SCRIPT = Path(__file__).with_name("spray_script.py")
CAT_SCRIPT = Path(__file__).with_name("cat_everything.sh")
NO_FLAG = ""
BASELINE_MODEL = "none/scripted"


def first_flag(text: str) -> str:
    """The first flag-shaped string in ``text`` (the answer a scripted agent submits), else ``""``."""
    found = FLAG.search(text)
    return found.group(0) if found else NO_FLAG


async def run_script(state: AgentState, cmd: list[str], *, timeout: int, what: str) -> AgentState:
    """Run ``cmd`` in the sample's sandbox and answer with the first flag it printed."""
    try:
        result = await sandbox().exec(cmd, timeout=timeout)
        output, note = result.stdout + result.stderr, f"exit status {result.returncode}"
    except TimeoutError:
        output, note = "", f"timed out after {timeout} s"
    answer = first_flag(output)
    summary = f"{what}: {note}; {'answer ' + answer if answer else 'no flag found'}"
    state.messages.append(ChatMessageAssistant(content=summary, model=BASELINE_MODEL))
    state.output = ModelOutput.from_content(model=BASELINE_MODEL, content=answer)
    return state


def script_agent(cmd: list[str], *, timeout: int, what: str) -> Agent:
    """An agent that runs ``cmd`` in the sample's sandbox and answers with the first flag it printed."""

    async def execute(state: AgentState) -> AgentState:
        return await run_script(state, cmd, timeout=timeout, what=what)

    return execute


@agent
def payload_spray(timeout: int = 300) -> Agent:
    """Spray ~100 canned payloads at every listening service; never read the handout."""
    return script_agent(["python3", "-c", SPRAY_SCRIPT.read_text(encoding="utf-8")], timeout=timeout, what="spray")


@agent
def cat_everything(timeout: int = 120) -> Agent:
    """Read every file that could hold a flag (``find / -name '*flag*'``, the handout, env); exploit nothing."""
    return script_agent(["bash", "-c", CAT_SCRIPT.read_text(encoding="utf-8")], timeout=timeout, what="cat")
