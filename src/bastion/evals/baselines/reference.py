"""The reference-solution agent: runs the challenge's own reference exploit and submits the flag it
printed. A ceiling for the battery (every flag should fall) and the load of the sandbox benchmark.
It calls no model; it recognises its challenge by the prompt the sample was given.
"""

from __future__ import annotations

from inspect_ai.agent import Agent, AgentState, agent

from bastion.evals.baselines.spray import run_script
from bastion.evals.challenges import Challenge, all_challenges


def challenge_for_prompt(prompt: str) -> Challenge | None:
    """The challenge whose prompt ``prompt`` contains (the sample's input), if any."""
    return next((c for c in all_challenges() if c.prompt in prompt), None)


@agent
def reference_solution(timeout: int = 300) -> Agent:
    """Run the sample's reference exploit (``bash``, in ``/workspace``) and submit the flag it shows."""

    async def execute(state: AgentState) -> AgentState:
        prompt = "\n".join(m.text for m in state.messages if m.role == "user")
        challenge = challenge_for_prompt(prompt)
        script = challenge.solution_script() if challenge else "echo 'no challenge matches this prompt'"
        return await run_script(state, ["bash", "-c", script], timeout=timeout, what="reference solution")

    return execute
