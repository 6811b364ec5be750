"""The iCalendar export read back by independent parsers: ``icalendar``, ``vobject`` and
``recurring-ical-events``.

Release and freeze names with tabs, CR/LF, commas, semicolons, backslashes, emoji and long text
come back as written; line breaks (CRLF, a lone CR) come back as LF, since RFC 5545 TEXT has no
way to write a CR. A recurring freeze is one event with its RRULE, and expanding it gives the
windows trainyard blocks (in local time, across the change to summer time).
"""

from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List

import icalendar
import recurring_ical_events  # type: ignore[import-untyped]
import vobject  # type: ignore[import-untyped]

from trainyard import Actor, Engine, ManualClock

RITA = Actor("rita", roles=["account_release_manager"])
UTC = timezone.utc
PROCESS = "id: p\nphases:\n  - id: go\n    activities: [{ id: ok, kind: manual }]\n"
FROM, TO = datetime(2025, 3, 15, tzinfo=UTC), datetime(2025, 4, 15, tzinfo=UTC)

# (name as given, name as read back)
NAMES = [
    ("tab\there\tand there", "tab\there\tand there"),
    ("crlf\r\nsecond line\nthird", "crlf\nsecond line\nthird"),
    ("lone\rcarriage return", "lone\ncarriage return"),
    ("commas, semicolons; backslash \\ and \\n literally", "commas, semicolons; backslash \\ and \\n literally"),
    ("🚂 train 🚀 — ünïcödé ✓ 中文", "🚂 train 🚀 — ünïcödé ✓ 中文"),
    ("long " + "ÄÖÜ 🚂 é中, ; \\ " * 30, "long " + "ÄÖÜ 🚂 é中, ; \\ " * 30),
]


def export() -> str:
    engine = Engine.in_memory(clock=ManualClock(datetime(2025, 3, 1, tzinfo=UTC)))
    engine.register_process(PROCESS)
    for i, (name, _) in enumerate(NAMES):
        r = engine.create_release("p", name=name, actor=RITA)
        start = datetime(2025, 3, 17 + i, 9, tzinfo=UTC)
        engine.schedule(r.id, start=start, end=start + timedelta(hours=2), actor=RITA)
    engine.add_freeze(
        id="weekend", name="Weekend;\tno prod, please", start=datetime(2025, 1, 3, 15, tzinfo=UTC), end=None,
        environments=["prod1"], reason="Nobody on call\r\nover the weekend 🚫",
        recurrence={"cadence": {"every": "week", "on": "friday", "at": "16:00"}, "timezone": "Europe/Berlin",
                    "duration": "2d 16h"},
        actor=RITA,
    )
    engine.add_freeze(
        id="easter", name="Easter", start=datetime(2025, 4, 10, tzinfo=UTC), end=datetime(2025, 4, 12, tzinfo=UTC),
        actor=RITA,
    )
    text = engine.calendar_ics(FROM, TO)
    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75, line
    return text


def by_uid(events: List[Any]) -> Dict[str, Any]:
    return {str(e["UID"]): e for e in events}


def test_icalendar_reads_back_every_name() -> None:
    cal = icalendar.Calendar.from_ical(export())
    events = [c for c in cal.walk("VEVENT")]
    summaries = [str(e["SUMMARY"]) for e in events if not str(e["UID"]).startswith("freeze-")]
    assert summaries == [want for _, want in NAMES]
    freeze = by_uid(events)["freeze-weekend@trainyard"]
    assert str(freeze["SUMMARY"]) == "Weekend;\tno prod, please"
    assert "Reason: Nobody on call\nover the weekend 🚫" in str(freeze["DESCRIPTION"])
    assert freeze["RRULE"] == icalendar.vRecur.from_ical("FREQ=WEEKLY;BYDAY=FR;BYHOUR=16;BYMINUTE=0;BYSECOND=0")
    assert freeze["DURATION"].dt == timedelta(days=2, hours=16)
    start = freeze["DTSTART"].dt
    assert start.replace(tzinfo=None) == datetime(2025, 1, 3, 16) and str(start.tzinfo) == "Europe/Berlin"
    assert [str(c) for c in freeze["CATEGORIES"].cats] == ["freeze"]
    scheduled = events[0]
    assert str(scheduled["STATUS"]) == "TENTATIVE" and str(scheduled["X-TRAINYARD-STATUS"]) == "scheduled"


def test_vobject_reads_back_every_name() -> None:
    cal = vobject.readOne(export())
    events = {str(e.uid.value): e for e in cal.vevent_list}
    summaries = [e.summary.value for uid, e in events.items() if not uid.startswith("freeze-")]
    assert summaries == [want for _, want in NAMES]
    assert events["freeze-weekend@trainyard"].summary.value == "Weekend;\tno prod, please"
    assert events["freeze-easter@trainyard"].dtend.value == datetime(2025, 4, 12, tzinfo=UTC)


def test_recurring_ical_events_expands_the_freeze_windows() -> None:
    cal = icalendar.Calendar.from_ical(export())
    found = recurring_ical_events.of(cal).between(FROM, TO)
    names = sorted(str(e["SUMMARY"]) for e in found if not str(e["UID"]).startswith("freeze-"))
    assert names == sorted(want for _, want in NAMES)
    windows = sorted(
        (e["DTSTART"].dt.astimezone(UTC), e["DTEND"].dt.astimezone(UTC))
        for e in found
        if str(e["UID"]) == "freeze-weekend@trainyard"
    )
    # Friday 16:00 to Monday 08:00 in Berlin: 15:00Z/07:00Z in winter, 14:00Z/06:00Z in summer
    # (the clocks change on Sunday 30 March, inside the second window).
    def at(month: int, day: int, hour: int) -> datetime:
        return datetime(2025, month, day, hour, tzinfo=UTC)

    assert windows == [
        (at(3, 14, 15), at(3, 17, 7)),
        (at(3, 21, 15), at(3, 24, 7)),
        (at(3, 28, 15), at(3, 31, 6)),
        (at(4, 4, 14), at(4, 7, 6)),
        (at(4, 11, 14), at(4, 14, 6)),
    ]
