"""The long-lived objects one app instance holds: settings, DB sessions, the image store and the job queue.

Built once by `tortodelova.server.create_app` and shared by the REST views and the Gradio handlers.
Below `Services`: the FastAPI dependencies that hand them to a route (`ServicesDep`, `SessionDep`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Iterator

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tortodelova.config import Settings
from tortodelova.storage import ImageStore

if TYPE_CHECKING:  # the protocol only: this infrastructure module imports no domain at run time
    from tortodelova.generation.queue import JobQueue


@dataclass
class Services:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    store: ImageStore
    queue: "JobQueue"
    extras: dict = field(default_factory=dict)

    def session(self) -> Session:
        return self.session_factory()


def get_services(request: Request) -> Services:
    return request.app.state.services


def get_session(services: Annotated[Services, Depends(get_services)]) -> Iterator[Session]:
    session = services.session()
    try:
        yield session
    finally:
        session.close()


ServicesDep = Annotated[Services, Depends(get_services)]
SessionDep = Annotated[Session, Depends(get_session)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
