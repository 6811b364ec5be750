"""Release-group recurrence against an independent implementation: python-dateutil's ``rrulestr``.

For a table of rules x time zones x starts (many of them on a daylight-saving gap or fold), the
releases trainyard materialises for a release group must start at the instants dateutil gives,
read the way RFC 5545 §3.3.5 and §3.3.10 say: each local time dateutil computes is taken with
``fold=0`` (PEP 495: a time in a gap uses the offset before the gap, a time that happens twice is
the first), the same instant twice is one occurrence. The planned end (a duration of ``1d``) is
the local time one calendar day later, read the same way.
"""

from datetime import datetime, timedelta, timezone
from typing import Dict, List, Tuple
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr

from trainyard import Actor, Engine, ManualClock

RITA = Actor("rita", roles=["account_release_manager"])
NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)
HORIZON = timedelta(days=800)
PROCESS = "id: p\nphases:\n  - id: go\n    activities: [{ id: ok, kind: manual }]\n"

RULES = [
    "FREQ=DAILY;COUNT=5",
    "FREQ=DAILY;INTERVAL=2;BYHOUR=2;BYMINUTE=30;COUNT=6",
    "FREQ=WEEKLY;BYDAY=SU;COUNT=6",
    "FREQ=WEEKLY;BYDAY=MO,FR;BYHOUR=9;BYMINUTE=15;UNTIL=20261201T000000Z",
    "FREQ=HOURLY;BYMINUTE=0,30;COUNT=10",
    "FREQ=MONTHLY;BYDAY=1SU;BYHOUR=2;BYMINUTE=30;COUNT=4",
    "FREQ=MONTHLY;BYDAY=-1SU;BYHOUR=2;BYMINUTE=30;COUNT=4",
    "FREQ=MONTHLY;BYMONTHDAY=31;COUNT=4",
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=4",
    "FREQ=YEARLY;BYMONTH=3,4,10,11;BYDAY=1SU,-1SU;BYHOUR=1,2;BYMINUTE=45;COUNT=12",
]

# Per zone: a start in the spring gap, one in the autumn fold, and two ordinary ones just before
# each change (so that the rules cross it).
ZONES = {
    "Europe/Berlin": ["2025-03-30T02:30", "2025-10-26T02:30", "2025-03-27T02:30", "2025-10-23T02:30"],
    "America/New_York": ["2025-03-09T02:30", "2025-11-02T01:30", "2025-03-06T02:30", "2025-10-30T01:30"],
    "Australia/Sydney": ["2025-10-05T02:30", "2026-04-05T02:30", "2025-10-02T02:30", "2026-04-02T02:30"],
    "Australia/Lord_Howe": ["2025-10-05T02:15", "2026-04-05T01:45", "2025-10-02T02:15", "2026-04-02T01:45"],
    "UTC": ["2025-03-30T02:30", "2025-06-01"],
    "Asia/Kolkata": ["2025-03-30T02:30", "2025-06-01"],
}

CASES = [(zone, start) for zone, starts in ZONES.items() for start in starts]


def parse_local(text: str) -> datetime:
    return datetime.fromisoformat(text if "T" in text else text + "T00:00")


def dateutil_windows(rule: str, zone: str, start: str) -> List[Tuple[datetime, datetime]]:
    """The (start, end) instants of dateutil's occurrences within trainyard's horizon."""
    tz = ZoneInfo(zone)
    dtstart = parse_local(start).replace(tzinfo=tz)  # fold=0
    seen: Dict[datetime, datetime] = {}
    for local in rrulestr(rule, dtstart=dtstart):
        assert isinstance(local, datetime)
        at = local.astimezone(timezone.utc)
        if at >= NOW + HORIZON:
            break
        if at >= NOW and at not in seen:
            # Aware arithmetic in Python is on the wall clock: one calendar day later.
            seen[at] = (local + timedelta(days=1)).astimezone(timezone.utc)
    return sorted(seen.items())


def trainyard_windows(engine: Engine, group: str) -> List[Tuple[datetime, datetime]]:
    out = []
    for r in engine.list_releases(group=group):
        assert r.schedule is not None and r.schedule.end is not None
        out.append((r.schedule.start, r.schedule.end))
    return sorted(out)


@pytest.mark.parametrize(("zone", "start"), CASES, ids=[f"{z}@{s}" for z, s in CASES])
def test_group_occurrences_match_dateutil(zone: str, start: str) -> None:
    engine = Engine.in_memory(clock=ManualClock(NOW))
    engine.register_process(PROCESS)
    engine.set_horizon(HORIZON)
    mismatches = []
    for i, rule in enumerate(RULES):
        engine.create_release_group(
            id=f"g{i}", name=f"G{i}", process="p", cadence=rule, timezone=zone, duration="1d",
            starts_on=start, actor=RITA,
        )
        want = dateutil_windows(rule, zone, start)
        got = trainyard_windows(engine, f"g{i}")
        assert want, f"{rule}: the table should produce occurrences"
        if got != want:
            mismatches.append(f"{rule}\n  dateutil:  {want}\n  trainyard: {got}")
    assert not mismatches, "\n".join(mismatches)


def test_the_sydney_gap_example_of_the_issue() -> None:
    """``FREQ=DAILY;COUNT=2`` from 02:30 on the day Sydney skips 02:00-03:00: 03:30 AEDT (16:30Z)."""
    engine = Engine.in_memory(clock=ManualClock(NOW))
    engine.register_process(PROCESS)
    engine.set_horizon(HORIZON)
    engine.create_release_group(
        id="syd", name="Sydney", process="p", cadence="FREQ=DAILY;COUNT=2", timezone="Australia/Sydney",
        duration="2d", starts_on="2025-10-05T02:30", actor=RITA,
    )
    assert trainyard_windows(engine, "syd") == [
        (datetime(2025, 10, 4, 16, 30, tzinfo=timezone.utc), datetime(2025, 10, 6, 15, 30, tzinfo=timezone.utc)),
        (datetime(2025, 10, 5, 15, 30, tzinfo=timezone.utc), datetime(2025, 10, 7, 15, 30, tzinfo=timezone.utc)),
    ]
