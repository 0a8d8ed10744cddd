"""What may be drawn: an inscription checked against its face before anything is charged.

Imports only the pipeline and the errors, so `generation.service` can call it without a cycle.
"""
from __future__ import annotations

from tortodelova.errors import InvalidInput, ServiceUnavailable
from tortodelova.pipeline import lettering, prompts


def spec(text, *, font=None, color=None, position=None, what: str = "") -> lettering.Inscription:
    """The drawable inscription, or the lettering module's refusal as a domain error."""
    try:
        return lettering.inscription(text, font=font, color=color, position=position)
    except lettering.FontMissing as exc:
        raise ServiceUnavailable(exc.message_ru) from None
    except lettering.LetteringError as exc:
        raise InvalidInput(f"{what}{exc.message_ru}") from None


def spec_of_request(inscription) -> lettering.Inscription | None:
    """An `InscriptionRequest` (or None) as a drawable inscription."""
    if inscription is None:
        return None
    return spec(inscription.text, font=inscription.font, color=inscription.color, position=inscription.position)


def check_request(request) -> None:
    """Refuse, before charging, an inscription that cannot be drawn: the explicit one, or else the quoted text the
    description asks for («надпись "…"»), which is drawn with the defaults."""
    if request.inscription_given:
        spec_of_request(request.inscription)
        return
    _rest, text = prompts.extract_inscription(request.prompt)
    if text:
        spec(text, what="Надпись из описания: ")
