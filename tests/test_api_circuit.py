"""cc_guard.api.circuit: the per-model breaker every cc-guard process shares (a real file, a
real fcntl lock, real processes; only the clock is a test clock where a test steps time)."""

from __future__ import annotations

import json
import multiprocessing
import stat
import subprocess
import sys
from pathlib import Path

from cc_guard.api.circuit import CIRCUIT_FILE, Circuit, Gate

KEY = "anthropic:claude-sonnet-5-5"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def make(tmp_path: Path, clock: Clock) -> Circuit:
    return Circuit(tmp_path, cooldown=30, max_cooldown=600, probe_lease=20, clock=clock)


def test_an_unknown_model_gets_one_probe_and_everyone_else_waits(tmp_path: Path) -> None:
    clock = Clock()
    circuit = make(tmp_path, clock)
    first = circuit.acquire(KEY)
    second = make(tmp_path, clock).acquire(KEY)
    assert first.gate == Gate.PROBE and first.token
    assert second.gate == Gate.WAIT and 0 < second.retry_in <= 20


def test_a_probe_that_gets_an_answer_lets_everyone_go(tmp_path: Path) -> None:
    clock = Clock()
    circuit = make(tmp_path, clock)
    probe = circuit.acquire(KEY)
    circuit.alive(KEY, probe.token)
    assert [make(tmp_path, clock).acquire(KEY).gate for _ in range(3)] == [Gate.GO] * 3
    clock.now += 31  # nothing heard for longer than the healthy window: probe first again
    assert circuit.acquire(KEY).gate == Gate.PROBE


def test_a_529_opens_the_circuit_for_the_cooldown_then_one_probe_goes(tmp_path: Path) -> None:
    clock = Clock()
    circuit = make(tmp_path, clock)
    probe = circuit.acquire(KEY)
    circuit.overloaded(KEY, probe.token)
    shut = circuit.acquire(KEY)
    assert shut.gate == Gate.OPEN and shut.retry_in == 30
    clock.now += 29.9
    assert circuit.acquire(KEY).gate == Gate.OPEN
    clock.now += 0.2
    assert circuit.acquire(KEY).gate == Gate.PROBE
    assert circuit.acquire(KEY).gate == Gate.WAIT


def test_the_cooldown_doubles_after_each_failed_probe_up_to_ten_minutes(tmp_path: Path) -> None:
    clock = Clock()
    circuit = make(tmp_path, clock)
    cooldowns = []
    for _ in range(8):
        probe = circuit.acquire(KEY)
        assert probe.gate == Gate.PROBE
        circuit.overloaded(KEY, probe.token)
        cooldowns.append(circuit.acquire(KEY).retry_in)
        clock.now += cooldowns[-1] + 0.01
    assert cooldowns == [30, 60, 120, 240, 480, 600, 600, 600]


def test_an_answer_resets_the_cooldown(tmp_path: Path) -> None:
    clock = Clock()
    circuit = make(tmp_path, clock)
    for _ in range(2):
        probe = circuit.acquire(KEY)
        circuit.overloaded(KEY, probe.token)
        clock.now += 200
    probe = circuit.acquire(KEY)
    circuit.alive(KEY, probe.token)
    clock.now += 31
    probe = circuit.acquire(KEY)
    circuit.overloaded(KEY, probe.token)
    assert circuit.acquire(KEY).retry_in == 30


def test_several_529s_in_one_window_do_not_double_the_cooldown(tmp_path: Path) -> None:
    clock = Clock()
    circuit = make(tmp_path, clock)
    probe = circuit.acquire(KEY)
    circuit.alive(KEY, probe.token)
    for _ in range(5):  # five requests that were in flight together all got 529
        circuit.overloaded(KEY)
    assert circuit.acquire(KEY).retry_in == 30


def test_a_probe_released_without_a_verdict_frees_the_slot_and_a_lost_one_expires(
    tmp_path: Path,
) -> None:
    clock = Clock()
    circuit = make(tmp_path, clock)
    probe = circuit.acquire(KEY)
    circuit.release(KEY, probe.token)
    other = circuit.acquire(KEY)
    assert other.gate == Gate.PROBE
    clock.now += 20.1  # its owner died: the lease ran out
    assert circuit.acquire(KEY).gate == Gate.PROBE


def test_a_probe_whose_process_died_is_taken_over_at_once(tmp_path: Path) -> None:
    clock = Clock()
    circuit = make(tmp_path, clock)
    circuit.acquire(KEY)
    stored = json.loads((tmp_path / CIRCUIT_FILE).read_text())
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stored["models"][KEY]["probe_pid"] = dead.pid  # the prober exited without a verdict
    (tmp_path / CIRCUIT_FILE).write_text(json.dumps(stored))
    assert circuit.acquire(KEY).gate == Gate.PROBE


def test_releasing_someone_elses_probe_changes_nothing(tmp_path: Path) -> None:
    clock = Clock()
    circuit = make(tmp_path, clock)
    circuit.acquire(KEY)
    circuit.release(KEY, "not-the-owner")
    assert circuit.acquire(KEY).gate == Gate.WAIT


def test_the_file_is_private_and_a_damaged_one_starts_over(tmp_path: Path) -> None:
    clock = Clock()
    circuit = make(tmp_path, clock)
    circuit.overloaded(KEY)
    path = tmp_path / CIRCUIT_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["models"][KEY]["open_until"] == clock.now + 30
    path.write_text("{not json")
    assert circuit.acquire(KEY).gate == Gate.PROBE


def _acquire_at_once(
    state: str, barrier: multiprocessing.synchronize.Barrier, out: multiprocessing.Queue[str]
) -> None:  # type: ignore[name-defined]
    circuit = Circuit(Path(state), cooldown=30, probe_lease=60)
    barrier.wait()
    out.put(str(circuit.acquire(KEY).gate))


def test_twenty_processes_asking_at_once_get_exactly_one_probe(tmp_path: Path) -> None:
    # Not fork: the test process has threads (pytest-xdist's), and a forked child can
    # deadlock on a lock one of them held.
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(20)
    out: multiprocessing.Queue[str] = context.Queue()
    procs = [
        context.Process(target=_acquire_at_once, args=(str(tmp_path), barrier, out))
        for _ in range(20)
    ]
    for proc in procs:
        proc.start()
    gates = sorted(out.get(timeout=60) for _ in procs)
    for proc in procs:
        proc.join(timeout=30)
    assert gates.count("probe") == 1 and gates.count("wait") == 19
