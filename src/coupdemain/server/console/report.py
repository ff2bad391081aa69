"""The console's report page: the recap of an ended session, its form, and its PDF.

The page shows the timeline pre-filled from the audit log (read-only) and
the technician's fields: what was done, the outcome, the follow-ups (one
per line, each with "outside the mandate: needs a new mandate"). *Save*
keeps a draft; *Send to the person* freezes the report and lets the
person's agent fetch it (``server/report_api.py``). The rule of who may
see a session (``access.may_see``) applies through ``ConsoleSession``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from ... import i18n
from ..access import ConsoleSession, check_csrf
from ..documents import recap_pdf
from ..recap import (
    MAX_DONE_CHARACTERS,
    MAX_FOLLOW_UP_CHARACTERS,
    MAX_FOLLOW_UPS,
    OUTCOMES,
    SENT,
    ReportRefused,
    clean_follow_ups,
)
from ..services import Shared
from .pages import language_of, render

router = APIRouter()

# Empty follow-up lines the form offers beside those written.
BLANK_FOLLOW_UPS = 3


def pdf_response(report: dict[str, Any], language: str, offset_minutes: int = 0) -> Response:
    """The report's PDF as a download named after the session's day."""
    data = recap_pdf.render(report, language, offset_minutes)
    day = (report.get("timeline", {}).get("ended_at") or "")[:10] or "session"
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="coupdemain-report-{day}-{language}.pdf"',
        "Cache-Control": "no-store",
    })


def _page(request: Request, seen: Any, report: dict[str, Any], *, status: int = 200,
          error: str = "", notice: str = "") -> Response:
    lang = language_of(request)
    lines = list(report["follow_ups"])
    if report["status"] != SENT:
        lines += [{"text": "", "new_mandate": False}] * BLANK_FOLLOW_UPS
        lines = lines[:MAX_FOLLOW_UPS]
    return render(
        request, "report.html", status=status, user=seen.user, csrf=seen.login.csrf_token,
        row=seen.row, report=report, follow_up_lines=lines, outcomes=OUTCOMES,
        dt=i18n.Translator("documents", lang), error=error, notice=notice,
        other_languages=[code for code in i18n.SUPPORTED_LANGUAGES if code != lang],
        max_done=MAX_DONE_CHARACTERS, max_follow_up=MAX_FOLLOW_UP_CHARACTERS,
    )


@router.get("/sessions/{session_id}/report")
async def report_page(request: Request, seen: ConsoleSession, shared: Shared,
                      done: str = "") -> Response:
    report = await shared.reports.document(seen.row)
    t = i18n.Translator("console", language_of(request))
    notice = {"saved": t("report.notice.saved"), "sent": t("report.notice.sent")}.get(done, "")
    return _page(request, seen, report, notice=notice)


@router.post("/sessions/{session_id}/report")
async def report_submit(
    request: Request, seen: ConsoleSession, shared: Shared,
    csrf_token: str = Form(""), done: str = Form(""), outcome: str = Form(""),
    follow_up: Annotated[list[str] | None, Form()] = None,
    new_mandate: Annotated[list[str] | None, Form()] = None,
    action: str = Form("save"),
) -> Response:
    check_csrf(seen.login, csrf_token)
    send = action == "send"
    t = i18n.Translator("console", language_of(request))
    follow_up, new_mandate = follow_up or [], new_mandate or []
    ticked = {int(i) for i in new_mandate if i.isdigit()}
    try:
        follow_ups = clean_follow_ups(follow_up[:MAX_FOLLOW_UPS * 2], ticked)
        await shared.reports.save(seen.row, seen.user, done=done, outcome=outcome,
                                  follow_ups=follow_ups, send=send)
    except ReportRefused as refused:
        # The page comes back with what was typed: nothing is lost.
        report = await shared.reports.document(seen.row)
        if report["status"] != SENT:
            report.update(done=done, outcome=outcome if outcome in OUTCOMES else "",
                          follow_ups=[{"text": text, "new_mandate": i in ticked}
                                      for i, text in enumerate(follow_up) if text.strip()])
        return _page(request, seen, report, status=400,
                     error=t(refused.key, **refused.params))
    return RedirectResponse(f"/sessions/{seen.row.id}/report?done={'sent' if send else 'saved'}",
                            status_code=303)


@router.get("/sessions/{session_id}/report.pdf")
async def report_pdf(request: Request, seen: ConsoleSession, shared: Shared,
                     lang: str = "") -> Response:
    language = lang if lang in i18n.SUPPORTED_LANGUAGES else language_of(request)
    return pdf_response(await shared.reports.document(seen.row), language)
