"""The session report as a PDF, in French or English (``server/recap.py`` gives its content).

The person's agent and the console download it from the server, so both
have the same document; only the language and the time zone the times
are written in differ with who asks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from ...i18n import Translator
from ...i18n.diagnostics import DiagnosticsTranslator, format_number
from .pdf import Document

MAX_OFFSET_MINUTES = 14 * 60


def zone(offset_minutes: int) -> timezone:
    """A fixed offset from UTC, in minutes east (Paris in winter: 60), within ±14 h."""
    offset_minutes = max(-MAX_OFFSET_MINUTES, min(MAX_OFFSET_MINUTES, offset_minutes))
    return timezone(timedelta(minutes=offset_minutes))


def zone_name(tz: timezone) -> str:
    offset = tz.utcoffset(None)
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


class Times:
    """Writes the report's ISO 8601 times in one time zone."""

    def __init__(self, tz: timezone) -> None:
        self.tz = tz

    def moment(self, iso: str) -> datetime | None:
        try:
            return datetime.fromisoformat(iso).astimezone(self.tz)
        except (TypeError, ValueError):
            return None

    def day_and_time(self, iso: str) -> str:
        moment = self.moment(iso)
        return moment.strftime("%Y-%m-%d %H:%M") if moment else "—"

    def time(self, iso: str) -> str:
        moment = self.moment(iso)
        return moment.strftime("%H:%M:%S") if moment else "—"


def render(report: dict[str, Any], language: str, offset_minutes: int = 0) -> bytes:
    """The PDF of a report.

    Args:
        report: ``Reports.document(...)``.
        language: "en" or "fr".
        offset_minutes: the reader's offset from UTC, for the times.
    """
    t = Translator("documents", language)
    td = DiagnosticsTranslator(language)
    times = Times(zone(offset_minutes))
    sent = times.moment(report.get("sent_at", "")) if report.get("sent_at") else None
    doc = Document(t("report.title"), created=sent.astimezone(UTC) if sent else None)
    timeline: dict[str, Any] = report.get("timeline") or {}

    doc.row(t("report.organisation"), report.get("organisation", ""))
    doc.row(t("report.technician"), report.get("technician", ""))
    doc.row(t("report.computer"), report.get("computer", ""))
    doc.row(t("report.when"), t("report.when_value",
                                start=times.day_and_time(timeline.get("started_at", "")),
                                end=times.day_and_time(timeline.get("ended_at", ""))))
    outcome = report.get("outcome") or "none"
    doc.row(t("report.outcome"), t(f"report.outcome.{outcome}"))

    doc.section(t("report.done"))
    doc.paragraph(report.get("done") or "—")

    doc.section(t("report.follow_ups"))
    follow_ups = report.get("follow_ups") or []
    for follow_up in follow_ups:
        text = str(follow_up.get("text", ""))
        if follow_up.get("new_mandate"):
            text += f" ({t('report.new_mandate')})"
        doc.bullet(text)
    if not follow_ups:
        doc.paragraph(t("report.none"))

    mandate = report.get("mandate")
    if mandate:
        doc.section(t("report.mandate"))
        for key in ("purpose", "tools", "until", "signed_by", "signed_at", "sha256"):
            if key in mandate:
                value = mandate[key]
                if isinstance(value, list):
                    value = ", ".join(str(v) for v in value)
                elif key in ("until", "signed_at"):
                    value = times.day_and_time(str(value))
                doc.row(t(f"report.mandate.{key}"), str(value))

    doc.section(t("report.timeline"))
    doc.paragraph(t("report.times_in", zone=zone_name(times.tz)), muted=True, small=True)
    _timeline(doc, t, td, times, timeline, language)

    doc.paragraph("")
    if sent is not None:
        doc.paragraph(t("report.sent_on", when=times.day_and_time(report["sent_at"])),
                      muted=True, small=True)
    else:
        doc.paragraph(t("report.draft"), muted=True, small=True)
    doc.paragraph(t("report.session", session=report.get("session_id", "")), muted=True,
                  small=True)
    return doc.output()


def _timeline(doc: Document, t: Translator, td: DiagnosticsTranslator, times: Times,
              timeline: dict[str, Any], language: str) -> None:
    def part(key: str, lines: list[str]) -> None:
        doc.section(t(key))
        for line in lines:
            doc.bullet(line)
        if not lines:
            doc.paragraph(t("report.none"))

    part("report.consents", [
        f"{times.time(c['at'])}  {t('report.consent.' + c['what'])}"
        for c in timeline.get("consents", [])])
    part("report.control", [
        t("report.control.period", start=times.time(p["start"]), end=times.time(p["end"]))
        if p.get("end") else t("report.control.open", start=times.time(p["start"]))
        for p in timeline.get("control", [])])
    actions = []
    for a in timeline.get("actions", []):
        answer = (t(f"report.action.answer.{a['answer']}") if a.get("answer")
                  else t("report.action.unanswered") if a.get("asks") else "")
        line = f"{times.time(a['at'])}  {t('report.action.kind.' + a['kind'])}: “{a['text']}”"
        actions.append(f"{line} — {answer}" if answer else line)
    part("report.actions", actions)
    part("report.steps", [f"{times.time(s['at'])}  {s['text']}"
                          for s in timeline.get("steps", [])])
    files = []
    for f in timeline.get("files", []):
        bits = [f.get("name") or "—"]
        if f.get("size") is not None:
            bits.append(t("report.file.bytes", size=format_number(f["size"], language)))
        bits.append(t(f"report.file.{f.get('direction', 'to_person')}"))
        if f.get("state"):
            bits.append(t(f"report.file.state.{f['state']}"))
        line = " — ".join(bits)
        if f.get("sha256"):
            line += f"\nSHA-256: {f['sha256']}"
        files.append(line)
    part("report.files", files)
    part("report.findings", [td.finding(f) for f in timeline.get("findings", [])])
    part("report.chat", [
        f"{times.time(c['at'])}  {c.get('name') or t('report.chat.person')}: {c['text']}"
        for c in timeline.get("chat", [])])
