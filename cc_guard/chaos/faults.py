"""Random fault injection: ``--faults 529:0.2,truncate:0.1,stall:0.05`` with ``--seed``.

Each /v1/messages request rolls one die: at most one fault per request, chosen by
the cumulative rates, so the same seed and the same request order give the same
faults. Kinds: an error status (400 ... 529), ``truncate`` (the stream ends
cleanly after 1-5 events, without message_stop), ``cut`` (ends inside a text
delta), ``reset`` (the connection drops after 1-5 events), ``stall`` (headers,
then silence), ``drip`` (slow events), ``malformed`` (broken SSE), ``empty``
(an empty 200) and ``sse_error`` (an overloaded_error event inside a 200 stream).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from cc_guard.chaos.script import ERROR_TYPES, Fault

NAMED_KINDS = ("truncate", "cut", "reset", "stall", "drip", "malformed", "empty", "sse_error")


@dataclass(frozen=True)
class FaultRate:
    kind: str
    rate: float


def parse_fault_spec(spec: str) -> list[FaultRate]:
    """Parse ``kind:rate,...``; raises ValueError with a one-sentence reason."""
    rates: list[FaultRate] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        kind, sep, rate_text = part.partition(":")
        kind = kind.strip().lower()
        if not sep:
            raise ValueError(f"fault {part!r} needs a rate, like {part}:0.1")
        if kind == "empty_200":
            kind = "empty"
        if kind not in NAMED_KINDS and not (kind.isdigit() and int(kind) in ERROR_TYPES):
            known = ", ".join([*map(str, ERROR_TYPES), *NAMED_KINDS])
            raise ValueError(f"unknown fault kind {kind!r} (known: {known})")
        try:
            rate = float(rate_text)
        except ValueError:
            raise ValueError(f"fault rate {rate_text!r} for {kind} is not a number") from None
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate for {kind} must be between 0 and 1")
        rates.append(FaultRate(kind, rate))
    if sum(r.rate for r in rates) > 1.0 + 1e-9:
        raise ValueError("fault rates add up to more than 1")
    return rates


class FaultDice:
    """Seeded, thread-safe: one roll per request decides its fault (or none)."""

    def __init__(
        self,
        rates: list[FaultRate],
        seed: int | None = None,
        stall_seconds: float = 30.0,
        drip_ms: int = 200,
    ) -> None:
        self.rates = rates
        self.stall_seconds = stall_seconds
        self.drip_ms = drip_ms
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def roll(self) -> Fault | None:
        with self._lock:
            draw = self._rng.random()
            # Drawn even when unused, so the sequence of rolls depends only on the seed.
            cut_at = self._rng.randint(1, 5)
        edge = 0.0
        for item in self.rates:
            edge += item.rate
            if draw < edge:
                return self._fault(item.kind, cut_at)
        return None

    def _fault(self, kind: str, cut_at: int) -> Fault:
        if kind == "truncate":
            return Fault(cut_after_events=cut_at)
        if kind == "reset":
            return Fault(cut_after_events=cut_at, reset=True)
        if kind == "cut":
            return Fault(cut_mid_text=True)
        if kind == "stall":
            return Fault(stall_seconds=self.stall_seconds)
        if kind == "drip":
            return Fault(drip_ms=self.drip_ms)
        if kind == "sse_error":
            return Fault(sse_error="overloaded_error")
        if kind == "malformed":
            return Fault(malformed=True)
        if kind == "empty":
            return Fault(empty_200=True)
        return Fault(status=int(kind))
