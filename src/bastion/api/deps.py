"""FastAPI dependencies shared by every router."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from bastion.review.service import ReviewProgramme
from bastion.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_programme(request: Request) -> ReviewProgramme:
    """The review programme's services, built once with the app (the policy file is read at start)."""
    programme: ReviewProgramme = request.app.state.review
    return programme


ProgrammeDep = Annotated[ReviewProgramme, Depends(get_programme)]
