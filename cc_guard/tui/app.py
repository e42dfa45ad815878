"""The dashboard app: one engine, a watcher that keeps it live, screens that show it.

Blocking work (the index build, git, handoffs, the doctor) runs in thread
workers that only post messages back; handlers on the event loop change the
widgets. ``make_app`` is the factory the CLI and the tests use.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.signal import Signal

from cc_guard.git import GitError
from cc_guard.transcripts.engine import Engine
from cc_guard.transcripts.model import SessionModel
from cc_guard.tui import adapters, tmux_actions
from cc_guard.tui.alerts import Alert, AlertTracker, details
from cc_guard.tui.commands import SessionCommands
from cc_guard.tui.messages import (
    ActionDone,
    AlertRaised,
    DoctorVerdict,
    LoadFailed,
    OpenSession,
    SessionsChanged,
    SessionsLoaded,
)
from cc_guard.tui.screens.sessions import SessionsScreen

if TYPE_CHECKING:
    from cc_guard.tui import actions
    from cc_guard.tui.dialogs.resume import ResumeChoice

# The session screen, the dialogs and the actions (git, handoffs, Markdown, syntax
# highlighting) are imported where they are first used: the first paint waits for
# none of them.

#: Seconds after the first full list before live updates and checkpoint counts start.
AFTER_PAINT = 0.3
#: The doctor runs at most this often while an outage alert is up.
DOCTOR_INTERVAL = 60.0
#: Actions that need a session (the current screen's).
SESSION_ACTIONS = frozenset(
    {"compact", "snapshot", "resume", "doctor", "open_editor", "copy_resume"}
)
#: Actions of the session screen the command palette offers too.
SCREEN_ACTIONS = frozenset({"restore", "undo"})


class SharedEngine(Engine):
    """The engine, shared by the watcher thread and the workers one call at a time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lock = threading.RLock()

    def refresh(self, brief: bool = False, only: list[str] | None = None) -> list[SessionModel]:
        with self.lock:
            return super().refresh(brief, only)

    def find(self, session_id_or_prefix: str) -> SessionModel:
        with self.lock:
            return super().find(session_id_or_prefix)


class CCGuardApp(App[None]):
    """cc-guard's dashboard."""

    TITLE = "cc-guard"
    CSS_PATH = "styles/app.tcss"
    COMMANDS = App.COMMANDS | {SessionCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Keys"),
        Binding("c", "compact", "Compact"),
        Binding("s", "snapshot", "Snapshot"),
        Binding("r", "resume", "Resume"),
        Binding("d", "doctor", "Doctor"),
        Binding("o", "open_editor", "Editor"),
        Binding("y", "copy_resume", "Copy resume"),
        Binding("a", "resume_alert", "Resume alerted", show=False),
        Binding("x", "dismiss_alert", "Dismiss alert", show=False),
        Binding("T", "toggle_dark", "Light/dark", show=False),
    ]

    def __init__(
        self,
        *,
        claude_dir: Path,
        state_dir: Path,
        clock: Callable[[], float] = time.time,
        follow: str | None = None,
        demo_root: str | None = None,
        watch: bool = True,
        cold_child: bool = True,
        cold_process: subprocess.Popen[str] | None = None,
        debounce: float = 0.1,
    ) -> None:
        super().__init__()
        self.cold_process = cold_process
        self.claude_dir = Path(claude_dir)
        self.state_dir = Path(state_dir)
        self.clock = clock
        self.follow = follow
        self.demo_root = demo_root
        self.live = watch
        self.cold_child = cold_child
        self.debounce = debounce
        self.engine = SharedEngine(self.claude_dir, self.state_dir, clock=clock)
        self.sessions: list[SessionModel] = []
        self.loaded = False
        self.checkpoint_counts: dict[str, int] = {}
        self._counted: dict[str, str | None] = {}
        self._not_repos: set[str] = set()
        self.alerts: list[Alert] = []
        self.tracker = AlertTracker()
        self.watcher: Any = None
        self.doctor_at = 0.0
        self.followed = False
        self.sessions_signal: Signal[list[SessionModel]] = Signal(self, "sessions")
        self.alert_signal: Signal[object] = Signal(self, "alert")
        self.progress_signal: Signal[tuple[int, int, bool]] = Signal(self, "progress")

    def now(self) -> float:
        return self.clock()

    # --- start and stop ------------------------------------------------------

    def on_mount(self) -> None:
        # While an outage alert is up, the doctor is asked again once a minute (no-op otherwise).
        self.set_interval(DOCTOR_INTERVAL, self.check_upstream)
        self.push_screen(SessionsScreen())
        self.progress_signal.publish((0, 0, False))
        self.load_sessions()

    def on_unmount(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()

    @work(thread=True, exclusive=True, group="index", exit_on_error=False)
    def load_sessions(self) -> None:
        """The first list: from the index when it is warm, else built newest first."""
        try:
            index = self.state_dir / "index" / "transcripts.sqlite"
            cold = self.cold_process is not None or not index.exists()
            if self.cold_child and cold and self._cold_load():
                return
            sessions = self.engine.refresh(brief=True)
        except OSError as exc:
            self.post_message(
                LoadFailed(f"cannot read sessions: {exc.strerror or exc} ({exc.filename or ''})")
            )
            return
        self.post_message(
            SessionsLoaded(sessions, done=True, read=len(sessions), total=len(sessions))
        )

    def _cold_load(self) -> bool:
        """The index built by a child process batch by batch; each batch shown at once.

        The child may have been started before this app was even imported
        (:func:`cc_guard.tui.coldload.start`): its reading overlaps the app's start.
        It sends each batch's brief models, so this process stays off the index
        while the child writes it; the watcher's first refresh then takes over.
        True when every session came through the child.
        """
        from cc_guard.tui import coldload

        child = self.cold_process or coldload.start(self.claude_dir, self.state_dir)
        self.cold_process = None
        shown: list[SessionModel] = []
        complete = False
        with child:
            assert child.stdout is not None
            for line in child.stdout:
                try:
                    batch = json.loads(line)
                    found = [coldload.brief_from_json(row) for row in batch["sessions"]]
                except (ValueError, KeyError, TypeError):
                    continue
                shown = sorted([*shown, *found], key=_newest, reverse=True)
                complete = batch["read"] >= batch["total"]
                self.post_message(
                    SessionsLoaded(
                        list(shown), done=complete, read=batch["read"], total=batch["total"]
                    )
                )
            complete = child.wait() == 0 and complete
        return complete

    def on_sessions_loaded(self, message: SessionsLoaded) -> None:
        self.progress_signal.publish((message.read, message.total, message.done))
        if message.done:
            self.loaded = True
        self._set_sessions(message.sessions, alert=False)
        if message.done:
            self.tracker.update(message.sessions)
            # After the full list is on screen: the watcher's first refresh and the
            # checkpoint counts would otherwise compete with that first paint.
            self.set_timer(AFTER_PAINT, self._start_watcher)
            self.set_timer(AFTER_PAINT, self.count_checkpoints)

    def on_load_failed(self, message: LoadFailed) -> None:
        self.loaded = True
        self.progress_signal.publish((0, 0, True))
        self.notify(message.error, severity="error", timeout=30)

    def _start_watcher(self) -> None:
        if not self.live or self.watcher is not None:
            return
        from cc_guard.transcripts.watch import SessionWatcher

        def changed(models: list[SessionModel]) -> None:
            self.post_message(SessionsChanged(models))

        def failed(error: BaseException) -> None:
            self.post_message(LoadFailed(f"live updates stopped: {error}"))

        self.watcher = SessionWatcher(
            self.engine, changed, debounce=self.debounce, on_error=failed
        ).start()

    def on_sessions_changed(self, message: SessionsChanged) -> None:
        self._set_sessions(message.sessions, alert=True)

    def _set_sessions(self, sessions: list[SessionModel], *, alert: bool) -> None:
        if not self.screen_stack:  # a refresh that arrives while the app shuts down
            return
        self.sessions = sessions
        self.sessions_signal.publish(sessions)
        if alert:
            for session in self.tracker.update(sessions):
                self.load_alert(session)
            if self.loaded:
                self.count_checkpoints()
        self._follow()

    def _follow(self) -> None:
        """``--follow SESSION``: open that session's screen as soon as it exists."""
        if self.follow is None or self.followed:
            return
        match = next((s for s in self.sessions if s.session_id.startswith(self.follow)), None)
        if match is not None:
            self.followed = True
            self.open_session(match.session_id)

    # --- sessions ------------------------------------------------------------

    def on_open_session(self, message: OpenSession) -> None:
        self.open_session(message.session_id)

    def open_session(self, session_id: str) -> None:
        from cc_guard.tui.screens.session import SessionScreen

        match = next((s for s in self.sessions if s.session_id == session_id), None)
        if match is None:
            self.notify(f"No session {session_id[:8]} any more.", severity="warning")
            return
        while isinstance(self.screen, SessionScreen):
            self.pop_screen()
        self.push_screen(SessionScreen(match))

    def current_session(self) -> SessionModel | None:
        """The session the action keys act on: the open one, or the one under the cursor."""
        current = getattr(self.screen, "current_session", None)
        found = current() if callable(current) else None
        return found if isinstance(found, SessionModel) else None

    @work(thread=True, exclusive=True, group="checkpoint-counts", exit_on_error=False)
    def count_checkpoints(self) -> None:
        """Each session's number of checkpoints, for the table.

        Only sessions whose activity changed since they were last counted are
        asked again (one ``git for-each-ref`` per project, one ``git log`` per
        session with checkpoints); projects that are not repositories are remembered.
        """
        from cc_guard.tui import actions

        counts = dict(self.checkpoint_counts)
        refs: dict[str, set[str]] = {}
        for session in list(self.sessions):
            project = session.project_dir
            if self._counted.get(session.session_id) == session.last_activity:
                continue
            self._counted[session.session_id] = session.last_activity
            if not project or project in self._not_repos or not os.path.isdir(project):
                continue
            if project not in refs:
                found = _checkpointed(project)
                if found is None:
                    self._not_repos.add(project)
                    continue
                refs[project] = found
            if session.session_id in refs[project]:
                chain, _ = actions.checkpoints(session)
                counts[session.session_id] = len(chain)
            else:
                counts[session.session_id] = 0
        if counts != self.checkpoint_counts:
            self.call_from_thread(self._set_counts, counts)

    def _set_counts(self, counts: dict[str, int]) -> None:
        self.checkpoint_counts = counts
        self.sessions_signal.publish(self.sessions)

    # --- outage alerts -------------------------------------------------------

    @work(thread=True, group="alerts", exit_on_error=False)
    def load_alert(self, session: SessionModel) -> None:
        try:
            full = self.engine.find(session.session_id)
        except LookupError:
            return
        self.post_message(AlertRaised(details(full, self.state_dir)))

    def on_alert_raised(self, message: AlertRaised) -> None:
        alert = message.alert
        known = any(a.session_id == alert.session_id for a in self.alerts)
        self.alerts = [a for a in self.alerts if a.session_id != alert.session_id] + [alert]
        self.alert_signal.publish(alert)
        self.check_upstream()
        if known:  # one toast per outage of a session; later retries only update the banner
            return
        what = alert.kind or "API failure"
        self.notify(
            f"{what} in {os.path.basename(alert.project_dir or '') or alert.session_id[:8]}: "
            f"{'checkpoint and handoff saved' if alert.checkpoint and alert.handoff else 'see the banner'}.",
            title="Upstream failure",
            severity="error",
            timeout=10,
        )

    def current_alert(self) -> tuple[Alert | None, int]:
        if not self.alerts:
            return None, 0
        return self.alerts[-1], len(self.alerts) - 1

    def check_upstream(self) -> None:
        """Ask the doctor about the upstream, at most once a minute, while alerts are up."""
        if not self.alerts:
            return
        if self.doctor_at and time.monotonic() - self.doctor_at < DOCTOR_INTERVAL - 1:
            return
        self.doctor_at = time.monotonic()
        alert = self.alerts[-1]
        match = next((s for s in self.sessions if s.session_id == alert.session_id), None)
        self.run_doctor_verdict(match.transcript_path if match else None)

    @work(thread=True, exclusive=True, group="doctor", exit_on_error=False)
    def run_doctor_verdict(self, transcript: str | None) -> None:
        try:
            result = adapters.run_doctor(transcript)
        except Exception as exc:  # the banner goes on without a verdict
            self.post_message(DoctorVerdict(f"doctor failed: {exc}"))
            return
        self.post_message(DoctorVerdict(result.verdict))

    def on_doctor_verdict(self, message: DoctorVerdict) -> None:
        self.alerts = [a.with_doctor(message.verdict) for a in self.alerts]
        self.alert_signal.publish(message.verdict)

    def action_dismiss_alert(self) -> None:
        if self.alerts:
            self.alerts.pop()
            self.alert_signal.publish(None)

    def action_resume_alert(self) -> None:
        alert, _ = self.current_alert()
        if alert is None:
            self.notify("No outage alert to act on.")
            return
        match = next((s for s in self.sessions if s.session_id == alert.session_id), None)
        if match is not None:
            self.start_resume(match)

    # --- actions (keys and palette) -----------------------------------------

    def action_available(self, action: str) -> bool:
        if action in SESSION_ACTIONS:
            return self.current_session() is not None
        if action == "resume_alert":
            return bool(self.alerts)
        if action in SCREEN_ACTIONS:
            check = getattr(self.screen, "check_action", None)
            return hasattr(self.screen, f"action_{action}") and bool(
                check(action, ()) if callable(check) else True
            )
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in SESSION_ACTIONS or action == "resume_alert":
            return self.action_available(action)
        return True

    def run_named_action(self, action: str) -> None:
        owner = self.screen if action in SCREEN_ACTIONS else self
        getattr(owner, f"action_{action}")()

    def on_action_done(self, message: ActionDone) -> None:
        self.notify(message.text, severity="error" if message.error else "information", timeout=8)

    def action_help(self) -> None:
        from cc_guard.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.screen))

    def action_toggle_dark(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def action_demo(self) -> None:
        """Start ``cc-guard demo`` (in a new tmux window when in tmux, else after this exits)."""
        from cc_guard.tui import actions

        argv = [*actions.cc_guard_argv(), "demo"]
        if tmux_actions.open_window(argv, os.getcwd()):
            self.notify("The demo opened in a new tmux window.")
            return
        self.exit(result=None, message="Starting the demo…")
        self.demo_requested = True

    demo_requested = False

    # snapshot ---------------------------------------------------------------

    def action_snapshot(self) -> None:
        session = self.current_session()
        if session is not None:
            self.notify(f"Snapshot of {session.session_id[:8]}…", timeout=3)
            self.snapshot(session)

    @work(thread=True, group="action", exit_on_error=False)
    def snapshot(self, session: SessionModel) -> None:
        from cc_guard.tui import actions
        from cc_guard.tui.screens.session import SessionScreen

        try:
            done = actions.snapshot(session, self.state_dir)
        except actions.ActionError as exc:
            self.post_message(ActionDone(f"Snapshot failed: {exc}", error=True))
            return
        checkpoint = (
            f"checkpoint {done.checkpoint[:10]}"
            if done.checkpoint
            else (
                f"no change since checkpoint {done.latest[:10]}"
                if done.latest
                else "no checkpoint (not a git repository)"
            )
        )
        self.post_message(ActionDone(f"Snapshot: {checkpoint}; handoff written to {done.handoff}."))
        screen = self.screen
        if isinstance(screen, SessionScreen):
            self.call_from_thread(screen.load_checkpoints)
            self.call_from_thread(screen.load_handoff)

    # resume -----------------------------------------------------------------

    def action_resume(self) -> None:
        session = self.current_session()
        if session is not None:
            self.start_resume(session)

    def start_resume(self, session: SessionModel) -> None:
        self.prepare_resume(session)

    @work(thread=True, exclusive=True, group="resume", exit_on_error=False)
    def prepare_resume(self, session: SessionModel) -> None:
        from cc_guard.tui import actions

        try:
            preview = actions.resume_preview(session, self.state_dir)
        except actions.ActionError as exc:
            self.post_message(ActionDone(str(exc), error=True))
            return
        self.call_from_thread(self._resume_dialog, preview)

    def _resume_dialog(self, preview: actions.ResumePreview) -> None:
        from cc_guard.tui import actions
        from cc_guard.tui.dialogs.resume import ResumeDialog

        why_not = ""
        if preview.running:
            why_not = f"The session is still running ({preview.running}); stop it first."
        elif self.demo_root is not None:
            why_not = "DEMO: there is no Claude Code here; Print shows exactly what would run."
        elif not actions.claude_available():
            why_not = (
                "No claude executable on PATH (or $CC_GUARD_CLAUDE): Print or Copy the command."
            )

        def chosen(choice: ResumeChoice | None) -> None:
            if choice is not None:
                self.do_resume(preview, choice)

        self.push_screen(ResumeDialog(preview, can_run=not why_not, why_not=why_not), chosen)

    def do_resume(self, preview: actions.ResumePreview, choice: ResumeChoice) -> None:
        from cc_guard.tui import actions

        env = actions.world_env(self.claude_dir, self.state_dir)
        if choice.how == "copy":
            self.copy_text(actions.resume_command(preview.session_id, choice.mode, env))
        elif choice.how == "print":
            self.resume_print(preview.session_id, choice.mode, env)
        else:
            argv = actions.resume_argv(preview.session_id, choice.mode)
            cwd = preview.project or os.getcwd()
            if tmux_actions.open_window(argv, cwd, env):
                self.notify("Resumed in a new tmux window.")
                return
            self.run_suspended(argv, cwd, env)

    @work(thread=True, exclusive=True, group="resume", exit_on_error=False)
    def resume_print(self, session_id: str, mode: str, env: dict[str, str]) -> None:
        from cc_guard.tui import actions
        from cc_guard.tui.dialogs.text import TextDialog

        try:
            text = actions.resume_print(session_id, mode, env)
        except actions.ActionError as exc:
            self.post_message(ActionDone(str(exc), error=True))
            return
        self.call_from_thread(
            self.push_screen,
            TextDialog(f"cc-guard resume {session_id[:8]} --mode {mode} --print", text),
        )

    def action_copy_resume(self) -> None:
        from cc_guard.tui import actions

        session = self.current_session()
        if session is None:
            return
        env = actions.world_env(self.claude_dir, self.state_dir)
        self.copy_text(actions.resume_command(session.session_id, "auto", env))

    def copy_text(self, text: str) -> None:
        self.copy_to_clipboard(text)
        tmux_actions.set_buffer(text)
        self.notify(f"Copied: {text}", timeout=6)

    # editor -----------------------------------------------------------------

    def action_open_editor(self) -> None:
        from cc_guard.tui import actions

        session = self.current_session()
        if session is None:
            return
        try:
            argv = actions.editor_argv(actions.project_of(session))
        except actions.ActionError as exc:
            self.notify(str(exc), severity="error")
            return
        cwd = str(actions.project_of(session))
        if tmux_actions.open_window(argv, cwd):
            self.notify(f"Opened {argv[0]} in a new tmux window.")
            return
        self.run_suspended(argv, cwd, {})

    def run_suspended(self, argv: list[str], cwd: str, env: dict[str, str]) -> None:
        """Run ``argv`` in this terminal with the dashboard suspended (or beside it headless)."""
        from textual.app import SuspendNotSupported

        full_env = {**os.environ, **env}
        try:
            with self.suspend():
                code = subprocess.run(argv, cwd=cwd, env=full_env, check=False).returncode
        except SuspendNotSupported:
            code = subprocess.run(
                argv,
                cwd=cwd,
                env=full_env,
                check=False,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ).returncode
        except OSError as exc:
            self.notify(f"Could not run {argv[0]}: {exc.strerror or exc}", severity="error")
            return
        self.notify(f"{os.path.basename(argv[0])} exited {code}.", timeout=4)

    # doctor and compact (features of other parts of cc-guard) ----------------

    def action_doctor(self) -> None:
        session = self.current_session()
        self.notify("Running the doctor (at most a few seconds)…", timeout=3)
        self.run_doctor_report(session.transcript_path if session else None)

    @work(thread=True, exclusive=True, group="doctor", exit_on_error=False)
    def run_doctor_report(self, session_id: str | None) -> None:
        from cc_guard.tui.dialogs.text import TextDialog

        try:
            result = adapters.run_doctor(session_id)
        except Exception as exc:
            self.post_message(ActionDone(f"The doctor failed: {exc}", error=True))
            return
        self.post_message(DoctorVerdict(result.verdict))
        self.call_from_thread(
            self.push_screen, TextDialog(f"Doctor: {result.verdict}", result.text)
        )

    def action_compact(self) -> None:
        session = self.current_session()
        if session is not None:
            self.compact(session)

    @work(thread=True, exclusive=True, group="compact", exit_on_error=False)
    def compact(self, session: SessionModel) -> None:
        try:
            text = adapters.compact(session)
        except Exception as exc:
            self.post_message(ActionDone(f"Compaction failed: {exc}", error=True))
            return
        self.post_message(ActionDone(text))


def _newest(session: SessionModel) -> str:
    return session.last_activity or ""


def _checkpointed(project: str) -> set[str] | None:
    """Session ids with a checkpoint ref in the repository at ``project``; None: no repository."""
    from cc_guard.checkpoints.history import list_sessions

    try:
        return {ref.session_id for ref in list_sessions(Path(project))}
    except LookupError:
        return None
    except (OSError, GitError):
        return set()


def make_app(
    *,
    claude_dir: Path | None = None,
    state_dir: Path | None = None,
    clock: Callable[[], float] = time.time,
    follow: str | None = None,
    demo_root: str | None = None,
    watch: bool = True,
    cold_child: bool = True,
    cold_process: subprocess.Popen[str] | None = None,
    debounce: float = 0.1,
) -> CCGuardApp:
    """The dashboard over ``claude_dir`` and ``state_dir`` (default: cc-guard's own).

    ``clock`` drives every "N min ago" and the engine's state judgement (tests fix
    it); ``follow`` opens that session's screen once it appears; ``watch`` keeps
    the list live; ``cold_child`` builds a missing index in a child process
    (``cold_process``: one already started by :func:`cc_guard.tui.coldload.start`).
    """
    from cc_guard.base import paths

    return CCGuardApp(
        claude_dir=claude_dir or paths.claude_dir(),
        state_dir=state_dir or paths.state_dir(),
        clock=clock,
        follow=follow,
        demo_root=demo_root,
        watch=watch,
        cold_child=cold_child,
        cold_process=cold_process,
        debounce=debounce,
    )
