"""Regenerate the dashboard screenshots in docs/ from the real app over the demo world.

    python docs/make_screenshots.py

The demo's recorded sessions, written complete at a fixed clock, with real
checkpoints in the webapp project; the app runs headless at 140x40.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def main() -> None:
    os.environ["TZ"] = "UTC"
    time.tzset()
    from cc_guard.checkpoints import take_checkpoint
    from cc_guard.demo import world as demo_world
    from cc_guard.demo.scenarios import scenarios
    from cc_guard.tui.app import make_app

    now = 1_796_126_400.0
    root = Path(tempfile.mkdtemp(prefix="cc-guard-shots-"))
    world = demo_world.create(root)
    os.environ.update(world.env())
    os.environ["HOME"] = str(world.home)
    webapp = next(s for s in scenarios() if s.name == "webapp")
    take_checkpoint(world.project("webapp"), webapp.session_id, "UserPromptSubmit")
    demo_world.write_still(world, now)
    take_checkpoint(world.project("webapp"), webapp.session_id, "PostToolUse", "Edit", ["app.py"])
    app = make_app(
        claude_dir=world.claude_dir,
        state_dir=world.state_dir,
        clock=lambda: now,
        watch=False,
        demo_root="cc-guard demo",
    )
    async with app.run_test(size=(140, 40)) as pilot:
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        app.save_screenshot("dashboard.svg", str(ROOT / "docs"))
        app.open_session(webapp.session_id)
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        await pilot.press("down")
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        app.save_screenshot("session.svg", str(ROOT / "docs"))
        api = next(s for s in scenarios() if s.name == "api-server")
        app.open_session(api.session_id)
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        app.save_screenshot("context.svg", str(ROOT / "docs"))


if __name__ == "__main__":
    asyncio.run(main())
