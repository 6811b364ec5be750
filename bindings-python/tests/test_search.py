"""Release metadata and search through Python: labels, description, version, links; typed
filters, sorts and stable cursors."""
from datetime import datetime, timedelta, timezone

import pytest

import trainyard
from trainyard import Actor, Engine, ManualClock, SearchPage

START = datetime(2025, 4, 7, 9, tzinfo=timezone.utc)
RITA = Actor("rita", roles=["account_release_manager"])
PROCESS = "id: app\nphases:\n  - id: build\n    activities:\n      - { id: notes, kind: manual }\n"


def engine_with_releases(n: int) -> Engine:
    clock = ManualClock(START)
    e = Engine.in_memory(clock=clock)
    e.register_process(PROCESS)
    for i in range(n):
        e.create_release(
            "app",
            name=f"Week {10 + i} train",
            actor=RITA,
            labels={"team": "payments" if i % 2 == 0 else "search"},
            version=f"2.1.{i}",
        )
        clock.advance(timedelta(minutes=1))
    return e


def test_metadata_is_set_at_create_and_by_update() -> None:
    e = Engine.in_memory(clock=ManualClock(START))
    e.register_process(PROCESS)
    links = [{"kind": "ticket", "url": "https://jira.example/REL-15", "title": "REL-15"}]
    r = e.create_release("app", name="Week 15", actor=RITA, labels={"team": "payments", "tier": "1"},
                         description="The weekly train", version="2.1.4", links=links)
    assert r.labels == {"team": "payments", "tier": "1"}
    assert (r.description, r.version) == ("The weekly train", "2.1.4")
    assert r.links == [{"kind": "ticket", "url": "https://jira.example/REL-15", "title": "REL-15"}]
    (event,) = e.update_release(r.id, actor=RITA, labels={"tier": None, "env": "prod"}, version="",
                                links=[{"kind": "incident", "url": "https://status.example/1"}])
    assert event.kind == "updated"
    after = e.get_release(r.id)
    assert after.labels == {"env": "prod", "team": "payments"}
    assert after.version is None
    assert after.links == [{"kind": "incident", "url": "https://status.example/1", "title": None}]
    with pytest.raises(trainyard.InvalidInputError) as err:
        e.create_release("app", name="Bad", actor=RITA, labels={"Bad Key": "x"}, links=[{"kind": "chat", "url": "u"}])
    assert [p.path for p in err.value.problems] == ["labels.Bad Key", "links[0]"]


def test_search_filters_sorts_and_pages_with_cursors() -> None:
    e = engine_with_releases(7)
    page = e.search({"labels": {"team": "payments"}}, sort="created_at asc", page_size=2)
    assert isinstance(page, SearchPage)
    names = [r.name for r in page.releases]
    while page.next is not None:
        page = e.search({"labels": {"team": "payments"}}, sort="created_at asc", cursor=page.next, page_size=2)
        names += [r.name for r in page.releases]
    assert names == ["Week 10 train", "Week 12 train", "Week 14 train", "Week 16 train"]
    newest = e.search(sort="name desc", page_size=1)
    assert [r.name for r in newest.releases] == ["Week 16 train"] and newest.next is not None
    created = e.search({"created": {"from": START + timedelta(minutes=2), "to": START + timedelta(minutes=4)}})
    assert sorted(r.name for r in created.releases) == ["Week 12 train", "Week 13 train"]
    assert [r.name for r in e.search({"name_contains": "Week 13"}).releases] == ["Week 13 train"]
    assert e.search({"status": ["running"]}).releases == []
    with pytest.raises(trainyard.InvalidInputError):
        e.search(sort="size")
    with pytest.raises(trainyard.InvalidInputError):
        e.search(cursor=newest.next, sort="created_at")  # a cursor of another sort
    with pytest.raises(trainyard.InvalidInputError):
        e.search({"colour": "red"})
    with pytest.raises(trainyard.InvalidInputError):
        e.search(page_size=0)
