"""The mandate part of the console's *Help someone* form, on the index page.

The technician writes a mandate, from scratch or from one of the
organisation's templates (``GET /?template=<id>`` fills the form with
it), or picks a standing mandate still running; ``POST /sessions`` (in
``pages.py``) reads the form with ``draft_of`` and ``choice_of``. A refused
mandate comes back on the same form, with its sentence and everything the
technician typed.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from ... import i18n
from ...protocol.enums import PersonRole, Tool
from .. import mandates
from ..services import Services
from ..store.models import User


def draft_of(form: FormData) -> mandates.Draft:
    """The mandate as the form sent it, every text kept as typed."""
    return mandates.Draft.from_form(
        purpose=str(form.get("purpose", "")),
        tools=[str(tool) for tool in form.getlist("tools")],
        minutes=str(form.get("minutes", "")), role=str(form.get("role", "")),
        covers=str(form.get("covers", "once")),
        standing_until=str(form.get("standing_until", "")))


async def help_form(shared: Services, user: User, *, draft: mandates.Draft | None = None,
                    template_id: int | None = None, error: str = "",
                    standing_id: int | None = None) -> dict[str, Any]:
    """What the index page needs for its *Help someone* form."""
    templates = await mandates.templates_of(shared.db, user.organisation_id)
    if draft is None:
        chosen = next((x for x in templates if x.id == template_id), None)
        draft = mandates.Draft.from_terms(chosen.terms) if chosen else mandates.Draft()
    return {
        "draft": draft, "mandate_error": error, "template_id": template_id,
        "mandate_templates": templates, "standing_id": standing_id,
        "standing": await mandates.standing_mandates(shared.db, user.organisation_id),
        "mandate_required": await mandates.mandate_required(shared.db, user.organisation_id),
        **TERMS_CHOICES,
    }


# The choices every terms form offers, in their order.
TERMS_CHOICES = {"TOOLS": list(Tool), "ROLES": list(PersonRole)}


def choice_of(form: FormData, t: i18n.Translator,
              draft: mandates.Draft) -> mandates.Choice | str:
    """What the technician chose, or the sentence saying what is wrong with it."""
    match form.get("mandate", "none"):
        case "write":
            try:
                return mandates.Choice(terms=draft.terms())
            except mandates.MandateRefused as refused:
                return str(refused)
        case "standing":
            given = str(form.get("standing_mandate_id", ""))
            return mandates.Choice(standing_id=int(given)) if given.isdigit() \
                else t("mandate.standing_gone")
        case _:
            return mandates.Choice()


