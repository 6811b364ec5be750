"""Stub-only module (no runtime counterpart; ``trainyard._native`` re-exports it). The read model: ``Release``, ``Phase``, ``Activity``, ``Approval`` and their parts (``Lock`` among them), ``Event``, ``ProcessInfo``, ``InputSet``, ``InboxItem``, ``SearchPage``."""

from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, final

from ._native_common import Problem

@final
class InputSet:
    """One version of a named input set of a process."""

    @property
    def process_id(self) -> str:
        """The process it belongs to."""
    @property
    def name(self) -> str:
        """Its name."""
    @property
    def version(self) -> int:
        """Its version."""
    @property
    def scope(self) -> str:
        """The scope it belongs to (``"account"`` or ``"org:<id>"``)."""
    @property
    def values(self) -> Dict[str, Any]:
        """The values."""

@final
class InboxItem:
    """One item of a person's inbox (``Engine.inbox``)."""

    @property
    def release_id(self) -> str:
        """Release id."""
    @property
    def release_name(self) -> str:
        """Release name."""
    @property
    def phase_id(self) -> str:
        """Phase id."""
    @property
    def activity_id(self) -> str:
        """Activity id."""
    @property
    def kind(self) -> str:
        """``approval``, ``manual`` or ``failure_decision``."""
    @property
    def can_act(self) -> bool:
        """Whether the actor may act on it now."""
    @property
    def reason(self) -> str:
        """Why it may (the entry or role matched), or why not (self-approval ban, already decided)."""
    @property
    def due(self) -> Optional[datetime]:
        """The approval's deadline (tz-aware, UTC), or ``None``."""
    @property
    def escalated(self) -> bool:
        """Whether the approval's deadline escalated."""
    @property
    def since(self) -> datetime:
        """Since when it waits (tz-aware, UTC)."""

@final
class SearchPage:
    """One page of ``Engine.search``."""

    @property
    def releases(self) -> List[Release]:
        """The releases of the page, in the sort order."""
    @property
    def next(self) -> Optional[str]:
        """The cursor of the next page, or ``None`` on the last one."""

@final
class ProcessInfo:
    """A registered process version."""

    @property
    def id(self) -> str:
        """The process id."""
    @property
    def version(self) -> int:
        """The version (1, 2, …)."""
    @property
    def warnings(self) -> List[Problem]:
        """Validation warnings, which never stop a process from registering."""

@final
class Event:
    """One entry of a release's history (its audit trail)."""

    @property
    def seq(self) -> int:
        """Position in the release's log, from 1."""
    @property
    def at(self) -> datetime:
        """When it happened (tz-aware, UTC)."""
    @property
    def actor(self) -> str:
        """Who caused it."""
    @property
    def kind(self) -> str:
        """What happened, e.g. ``approval_recorded``."""
    @property
    def data(self) -> Dict[str, Any]:
        """The payload."""
    @property
    def comment(self) -> Optional[str]:
        """The reason or comment given with the command."""

@final
class Approval:
    """One approval decision of an activity."""

    @property
    def approver(self) -> str:
        """Who decided."""
    @property
    def approved(self) -> bool:
        """Approved (``True``) or rejected."""
    @property
    def at(self) -> datetime:
        """When (tz-aware, UTC)."""
    @property
    def comment(self) -> Optional[str]:
        """The comment given."""

@final
class Schedule:
    """When a release is planned (``Release.schedule``)."""

    @property
    def start(self) -> datetime:
        """Planned start (tz-aware, UTC)."""
    @property
    def end(self) -> Optional[datetime]:
        """Planned end, if given."""
    @property
    def auto_start(self) -> bool:
        """Whether the clock activates the release at ``start``."""
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...

@final
class ParentLink:
    """The parent of a child release: its release and subprocess activity (``Release.parent``)."""

    @property
    def release(self) -> str:
        """The parent release id."""
    @property
    def phase(self) -> str:
        """The parent's phase."""
    @property
    def activity(self) -> str:
        """The parent's subprocess activity."""
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...

@final
class WaitingOn:
    """What a release waits on now (``Release.waiting_on``)."""

    @property
    def kind(self) -> str:
        """``approval``, ``manual``, ``failure_decision``, ``worker``, ``gate``, ``lock``, ``freeze`` or
        ``timer``."""
    @property
    def phase_id(self) -> Optional[str]:
        """The phase concerned (``None`` for a scheduled activation)."""
    @property
    def activity_id(self) -> Optional[str]:
        """The activity concerned (``None`` for a scheduled activation or a phase's ``not_before``)."""
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...

@final
class Lock:
    """One lock a release holds or waits for (``Phase.locks``, ``Activity.locks``,
    ``Engine.locks``)."""

    @property
    def name(self) -> str:
        """The lock's name (``${…}`` rendered), e.g. ``environment:prod1``."""
    @property
    def release_id(self) -> str:
        """The release that holds or waits for it."""
    @property
    def release_name(self) -> str:
        """That release's name."""
    @property
    def phase_id(self) -> str:
        """The phase that declares it."""
    @property
    def activity_id(self) -> Optional[str]:
        """The activity that declares it (``None`` for a phase's lock)."""
    @property
    def requested_by(self) -> str:
        """The node whose start asked for it: ``"phase"`` or ``"phase/activity"``."""
    @property
    def capacity(self) -> int:
        """How many releases may hold it at once, as this use declares it."""
    @property
    def priority(self) -> int:
        """This release's place in the lock's queue (higher goes first; equal ones oldest first)."""
    @property
    def requested_at(self) -> datetime:
        """When it was asked for."""
    @property
    def held_since(self) -> Optional[datetime]:
        """Since when it is held (``None`` while the release waits for it)."""

@final
class InputSetRef:
    """The input set a release was created with (``Release.input_set``)."""

    @property
    def name(self) -> str:
        """The input set's name."""
    @property
    def version(self) -> int:
        """The version used."""
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...

@final
class FailureDetail:
    """The structured form of an executor's failure (the command executor gives one)."""

    @property
    def reason(self) -> str:
        """``exit_code``, ``signal``, ``timed_out``, ``cancelled``, ``not_started``,
        ``invalid_outputs`` or ``lost``."""
    @property
    def exit_code(self) -> Optional[int]:
        """The exit code, when the process exited."""
    @property
    def signal(self) -> Optional[int]:
        """The signal number that ended the process, if one did."""
    @property
    def signal_name(self) -> Optional[str]:
        """The signal's name (``SIGKILL``), when it has a standard one."""
    @property
    def stderr_tail(self) -> Optional[str]:
        """The last 4 KiB of stderr, redacted; ``None`` when stderr was empty."""

@final
class Activity:
    """One activity of a release (a snapshot): the fields of the core's activity view."""

    @property
    def id(self) -> str:
        """Activity id."""
    @property
    def name(self) -> Optional[str]:
        """Display name from the definition."""
    @property
    def kind(self) -> str:
        """``automated``, ``approval``, ``manual``, ``subprocess``, ``wait`` or ``gate``."""
    @property
    def status(self) -> str:
        """``pending``, ``queued``, ``running``, ``waiting_for_input``, ``on_hold``, ``success``,
        ``failed``, ``ignored``, ``skipped`` or ``aborted``."""
    @property
    def attempt(self) -> int:
        """Attempt (0 = first run)."""
    @property
    def outputs(self) -> Dict[str, Any]:
        """Outputs: executor outputs, ``ignore`` substitutes, manual field values, ``approvers``."""
    @property
    def approvals(self) -> List[Approval]:
        """Approval decisions of the current attempt, oldest first."""
    @property
    def escalated(self) -> bool:
        """Whether the approval deadline escalated (``escalate_to`` may approve too)."""
    @property
    def error(self) -> Optional[str]:
        """The last failure message."""
    @property
    def last_failure(self) -> Optional[FailureDetail]:
        """The structured form of the last failure, when the executor gave one."""
    @property
    def skip_reason(self) -> Optional[str]:
        """Why it was skipped: ``condition``, ``manual``, ``upstream_failed``, ``release_failed`` or
        ``no_failure`` (a ``run_when: on_failure`` node of a release that had not failed)."""
    @property
    def job_id(self) -> Optional[str]:
        """The job of the current attempt (automated activities), for ``Engine.complete_job``."""
    @property
    def child_id(self) -> Optional[str]:
        """The child release of the current attempt (subprocess activities)."""
    @property
    def job_inputs(self) -> Dict[str, Any]:
        """The ``with`` values of the current attempt's job (secrets as ``secret://`` references)."""
    @property
    def gate_targets(self) -> List[Dict[str, Optional[str]]]:
        """A waiting gate's targets: a dict per release (or phase or activity of one) it watches,
        with ``release``, ``phase``, ``activity`` (``None`` when the target is the whole release or
        phase) and the ``status`` it was last seen in."""
    @property
    def locks(self) -> List[Lock]:
        """The activity's own locks that the release holds or waits for now (a phase's locks are
        in ``Phase.locks``)."""
    @property
    def started_at(self) -> Optional[datetime]:
        """When it first left ``pending`` in this attempt."""
    @property
    def ended_at(self) -> Optional[datetime]:
        """When it ended."""

@final
class Phase:
    """One phase of a release (a snapshot): the fields of the core's phase view."""

    @property
    def id(self) -> str:
        """Phase id."""
    @property
    def name(self) -> Optional[str]:
        """Display name from the definition."""
    @property
    def status(self) -> str:
        """``pending``, ``scheduled``, ``running``, ``on_hold``, ``success``, ``failed``, ``skipped``
        or ``aborted``."""
    @property
    def rollback(self) -> bool:
        """Whether this is a rollback phase."""
    @property
    def critical(self) -> bool:
        """Whether its failure fails the release (``critical``, default true)."""
    @property
    def skip_reason(self) -> Optional[str]:
        """Why it was skipped."""
    @property
    def outputs(self) -> Dict[str, Any]:
        """Evaluated phase outputs (set when it ends)."""
    @property
    def variables(self) -> Dict[str, Any]:
        """The phase's variables, evaluated when it started."""
    @property
    def started_at(self) -> Optional[datetime]:
        """When it started."""
    @property
    def ended_at(self) -> Optional[datetime]:
        """When it ended."""
    @property
    def not_before(self) -> Optional[datetime]:
        """When it may start (its ``not_before``), once known."""
    @property
    def attempts(self) -> List[PhaseAttempt]:
        """The earlier attempts a ``rewind`` replaced, oldest first (the current one is the phase)."""
    @property
    def locks(self) -> List[Lock]:
        """The locks of the phase that the release holds or waits for now: those its work asked
        for, or the phase itself with ``hold_through_approval``."""
    @property
    def activities(self) -> Dict[str, Activity]:
        """Activities by id, in definition order."""

@final
class PhaseAttempt:
    """An earlier attempt of a phase, kept when a ``rewind`` ran it again."""

    @property
    def attempt(self) -> int:
        """The attempt (0 = the first run)."""
    @property
    def status(self) -> str:
        """How it ended (``running`` or ``on_hold`` when it was rewound before it ended)."""
    @property
    def outputs(self) -> Dict[str, Any]:
        """Its evaluated outputs."""
    @property
    def started_at(self) -> Optional[datetime]:
        """When it started."""
    @property
    def ended_at(self) -> Optional[datetime]:
        """When it ended."""

@final
class Release:
    """A snapshot of a release, with exactly the fields of the core's read model; read it again
    with ``Engine.get_release`` to see later changes."""

    @property
    def id(self) -> str:
        """Release id (UUID v7, time-ordered)."""
    @property
    def seq(self) -> int:
        """Sequence number of its last event."""
    @property
    def name(self) -> str:
        """Display name."""
    @property
    def kind(self) -> str:
        """``standard``, ``hotfix``, ``feature`` or ``system``."""
    @property
    def status(self) -> str:
        """``draft``, ``scheduled``, ``running``, ``on_hold``, ``success``, ``partial_success``,
        ``failed`` or ``aborted``."""
    @property
    def scope(self) -> str:
        """``account`` or ``org:<id>``."""
    @property
    def process_id(self) -> str:
        """Process id."""
    @property
    def process_version(self) -> int:
        """Pinned process version."""
    @property
    def inputs(self) -> Dict[str, Any]:
        """Inputs (defaults, then the input set, then explicit values; secrets as references)."""
    @property
    def variables(self) -> Dict[str, Any]:
        """Global variables, evaluated at activation."""
    @property
    def owners(self) -> List[str]:
        """Owners: the people and groups responsible for the release."""
    @property
    def release_managers(self) -> List[str]:
        """The release's managers (users or groups)."""
    @property
    def stakeholders(self) -> List[str]:
        """Stakeholders (users or groups): notified of its progress, and may read it."""
    @property
    def group(self) -> Optional[str]:
        """The release group that generated it."""
    @property
    def occurrence(self) -> Optional[str]:
        """The release-group occurrence it was generated for (``<group>@<start>``)."""
    @property
    def input_set(self) -> Optional[InputSetRef]:
        """The input set it was created with."""
    @property
    def parent(self) -> Optional[ParentLink]:
        """The parent's subprocess activity, for a child release."""
    @property
    def schedule(self) -> Optional[Schedule]:
        """When it is planned, once scheduled."""
    @property
    def attempt(self) -> int:
        """Release attempt (a restart increments it)."""
    @property
    def archived(self) -> bool:
        """Archived (kept for audit, hidden from the active calendar)."""
    @property
    def rolled_back(self) -> bool:
        """Ended failed after running its rollback phases."""
    @property
    def rolling_back(self) -> bool:
        """The rollback phases are running."""
    @property
    def halted(self) -> bool:
        """A critical phase failed: no new work starts."""
    @property
    def paused(self) -> bool:
        """Paused by an operator."""
    @property
    def pre_executed(self) -> bool:
        """Activated before its scheduled start."""
    @property
    def at_risk(self) -> bool:
        """Expected to end after its planned end, by the last risk assessment (kept after it ended)."""
    @property
    def created_by(self) -> str:
        """Who created it."""
    @property
    def created_at(self) -> Optional[datetime]:
        """When it was created."""
    @property
    def scheduled_by(self) -> Optional[str]:
        """Who scheduled it last."""
    @property
    def started_by(self) -> Optional[str]:
        """Who activated it (for a clock activation: whoever scheduled it)."""
    @property
    def started_at(self) -> Optional[datetime]:
        """When it was activated."""
    @property
    def ended_at(self) -> Optional[datetime]:
        """When it ended (or was aborted)."""
    @property
    def updated_at(self) -> Optional[datetime]:
        """When its last event happened."""
    @property
    def labels(self) -> Dict[str, str]:
        """Labels (key → value)."""
    @property
    def description(self) -> Optional[str]:
        """A description."""
    @property
    def version(self) -> Optional[str]:
        """The version being released."""
    @property
    def links(self) -> List[Dict[str, Optional[str]]]:
        """Links: ``{"kind": "ticket" | "commit" | "incident" | "other", "url", "title"}``."""
    @property
    def waiting_on(self) -> Optional[WaitingOn]:
        """What it waits on now, or ``None``."""
    @property
    def phases(self) -> Dict[str, Phase]:
        """Phases by id: regular phases in definition order, then the rollback phases."""
