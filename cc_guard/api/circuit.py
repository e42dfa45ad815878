"""Per-model circuit breakers shared by every cc-guard process on the machine.

The state is one small JSON file, ``<state dir>/api-circuit.json`` (0600, replaced
atomically), read and changed only under an exclusive ``fcntl`` lock on
``api-circuit.lock``, so twenty processes that fire at once during a 529 storm
agree on it.

Per model (``ModelRef.key``):

- **open** after a 529: nobody sends to it until ``open_until``. The cooldown starts
  at ``cooldown`` seconds and doubles (up to ``max_cooldown``) each time the probe
  after it is overloaded too; an answer resets it.
- **half-open** when the cooldown is over, or when nothing is known about the model
  (no answer within the last ``healthy_seconds``): exactly one process gets the
  probe (:data:`Gate.PROBE`); the others wait (:data:`Gate.WAIT`) until the probe
  proves the model alive (its first stream event) or overloaded. A prober that
  died is replaced at once (its pid is gone); one that hangs, when its lease
  (``probe_lease``) runs out.
- **closed** while the model answered within ``healthy_seconds``: everyone goes.

So however many processes start together, a model gets at most one request per
cooldown window while it is failing (requests already in flight when the first 529
arrives cannot be recalled; they are what a healthy model got concurrently).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

CIRCUIT_FILE = "api-circuit.json"
LOCK_FILE = "api-circuit.lock"
VERSION = 1


class Gate(StrEnum):
    GO = "go"  # closed: send
    PROBE = "probe"  # half-open: this process sends the one probe
    WAIT = "wait"  # another process is probing: ask again shortly
    OPEN = "open"  # open: skip the model


@dataclass(frozen=True)
class Permit:
    gate: Gate
    #: Identifies this process's probe (pass it back to alive/overloaded/release).
    token: str = ""
    #: OPEN: seconds until the probe may go; WAIT: until the current probe's lease ends.
    retry_in: float = 0.0


@dataclass
class ModelState:
    """One model's breaker as stored (epoch seconds; 0 = never)."""

    open_until: float = 0.0
    cooldown: float = 0.0  # the last cooldown used (0: none since the last answer)
    probe_until: float = 0.0
    probe_owner: str = ""
    probe_pid: int = 0
    healthy_until: float = 0.0
    opened_at: float = 0.0
    overloads: int = 0  # 529s reported since the last answer

    def state(self, now: float) -> str:
        """``open``, ``probing``, ``closed`` or ``half-open`` (for doctor and messages)."""
        if self.open_until > now:
            return "open"
        if self.healthy_until > now:
            return "closed"
        if self.probe_until > now:
            return "probing"
        return "half-open" if self.overloads else "closed"


@dataclass
class _File:
    models: dict[str, ModelState] = field(default_factory=dict)


class Circuit:
    def __init__(
        self,
        state_dir: Path,
        cooldown: float = 30.0,
        max_cooldown: float = 600.0,
        probe_lease: float = 50.0,
        healthy_seconds: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = state_dir / CIRCUIT_FILE
        self.lock_path = state_dir / LOCK_FILE
        self.cooldown = cooldown
        self.max_cooldown = max(max_cooldown, cooldown)
        self.probe_lease = probe_lease
        self.healthy_seconds = cooldown if healthy_seconds is None else healthy_seconds
        self.clock = clock

    # -- the file ----------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[_File]:
        """The file's content under the lock; written back (atomically) on exit."""
        from cc_guard.base.fs import ensure_private_dir, write_private

        ensure_private_dir(self.path.parent)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            data = self._read()
            before = _dump(data)
            yield data
            after = _dump(data)
            if after != before:
                write_private(self.path, after)
        finally:
            os.close(fd)  # releases the lock

    def _read(self) -> _File:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return _File()  # absent or damaged: start over (it only holds cooldowns)
        models: dict[str, ModelState] = {}
        if isinstance(raw, dict) and raw.get("version") == VERSION:
            for key, value in (raw.get("models") or {}).items():
                if isinstance(value, dict):
                    with contextlib.suppress(TypeError, ValueError):
                        models[str(key)] = _state_from(value)
        return _File(models)

    # -- the breaker -------------------------------------------------------

    def acquire(self, key: str) -> Permit:
        """May this process send to ``key`` now? See :class:`Gate`."""
        try:
            with self._locked() as data:
                now = self.clock()
                model = data.models.setdefault(key, ModelState())
                if model.open_until > now:
                    return Permit(Gate.OPEN, retry_in=model.open_until - now)
                if model.healthy_until > now:
                    return Permit(Gate.GO)
                if model.probe_until > now and _running(model.probe_pid):
                    return Permit(Gate.WAIT, retry_in=model.probe_until - now)
                token = secrets.token_hex(8)
                model.probe_until = now + self.probe_lease
                model.probe_owner = token
                model.probe_pid = os.getpid()
                return Permit(Gate.PROBE, token=token)
        except OSError:
            return Permit(Gate.GO)  # no usable state dir: no breaker, never no answer

    def alive(self, key: str, token: str = "") -> None:
        """The model answered (its first stream event came): closed for ``healthy_seconds``."""
        self._update(key, token, self._alive)

    def overloaded(self, key: str, token: str = "") -> None:
        """The model answered 529 (or an ``overloaded_error`` event): open it."""
        self._update(key, token, self._overloaded)

    def release(self, key: str, token: str = "") -> None:
        """This process is done with ``key`` without a verdict: free its probe, if it held it."""
        self._update(key, token, lambda model, now: None)

    def _update(self, key: str, token: str, change: Callable[[ModelState, float], None]) -> None:
        with contextlib.suppress(OSError), self._locked() as data:
            model = data.models.setdefault(key, ModelState())
            change(model, self.clock())
            if token and model.probe_owner == token:
                model.probe_until, model.probe_owner, model.probe_pid = 0.0, "", 0

    def _alive(self, model: ModelState, now: float) -> None:
        model.healthy_until = now + self.healthy_seconds
        model.open_until = 0.0
        model.cooldown = 0.0
        model.overloads = 0

    def _overloaded(self, model: ModelState, now: float) -> None:
        model.overloads += 1
        model.healthy_until = 0.0
        if model.open_until > now:
            return  # already open: a second report in the same window doubles nothing
        model.cooldown = (
            self.cooldown if model.cooldown <= 0 else min(model.cooldown * 2, self.max_cooldown)
        )
        model.open_until = now + model.cooldown
        model.opened_at = now

    # -- reading -----------------------------------------------------------

    def states(self) -> dict[str, ModelState]:
        """Every model's breaker (a snapshot; nothing is changed)."""
        try:
            with self._locked() as data:
                return {key: ModelState(**asdict(value)) for key, value in data.models.items()}
        except OSError:
            return {}

    def open_for(self, key: str) -> float:
        """Seconds ``key`` stays open (0 when it is not open)."""
        model = self.states().get(key)
        return max(0.0, model.open_until - self.clock()) if model is not None else 0.0


def _running(pid: int) -> bool:
    """Whether the process that took a probe is still there (0: unknown, assumed so)."""
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, under another user
    return True


def _state_from(value: dict[str, Any]) -> ModelState:
    return ModelState(
        open_until=float(value.get("open_until", 0.0)),
        cooldown=float(value.get("cooldown", 0.0)),
        probe_until=float(value.get("probe_until", 0.0)),
        probe_owner=str(value.get("probe_owner", "")),
        probe_pid=int(value.get("probe_pid", 0)),
        healthy_until=float(value.get("healthy_until", 0.0)),
        opened_at=float(value.get("opened_at", 0.0)),
        overloads=int(value.get("overloads", 0)),
    )


def _dump(data: _File) -> str:
    models = {key: asdict(value) for key, value in sorted(data.models.items())}
    return json.dumps({"version": VERSION, "models": models}, sort_keys=True)
