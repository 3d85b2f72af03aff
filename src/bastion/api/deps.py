"""FastAPI dependencies shared by every router: the process's services, from the composition root."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from bastion.container import Container
from bastion.review import ReviewProgramme
from bastion.runtime import Runtime


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def get_runtime(request: Request) -> Runtime:
    return get_container(request).runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_programme(request: Request) -> ReviewProgramme:
    """The review programme's services, built once with the app (the policy file is read at start)."""
    return get_container(request).review


ProgrammeDep = Annotated[ReviewProgramme, Depends(get_programme)]
