"""From findings to a verdict: pure, so every combination can be tested.

Each finding names the verdict it is evidence for (``Finding.points_to``). The
verdict is the most specific one any finding points to, in this order: the user's
own set-up first (nothing upstream can be judged through a broken one), then the
network, credentials, and the upstream's kinds of failure; ``degraded`` when only
partial or soft evidence is there; ``healthy`` when nothing points anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

from cc_guard.doctor.result import Finding, Verdict

PRECEDENCE = (
    Verdict.LOCAL_CONFIG_PROBLEM,
    Verdict.NETWORK_PROBLEM,
    Verdict.AUTH_PROBLEM,
    Verdict.UPSTREAM_OVERLOADED,
    Verdict.RATE_LIMITED,
    Verdict.UPSTREAM_ERROR,
    Verdict.DEGRADED,
)

HEADLINES: dict[Verdict, str] = {
    Verdict.HEALTHY: "Nothing is wrong that doctor can see",
    Verdict.UPSTREAM_OVERLOADED: "The upstream API is overloaded (529)",
    Verdict.UPSTREAM_ERROR: "The upstream API is failing",
    Verdict.RATE_LIMITED: "You are rate limited (429)",
    Verdict.AUTH_PROBLEM: "The API refuses your credentials",
    Verdict.NETWORK_PROBLEM: "The API cannot be reached from here",
    Verdict.LOCAL_CONFIG_PROBLEM: "Your local set-up has a problem",
    Verdict.DEGRADED: "Things are partly failing",
}

ADVICE: dict[Verdict, str] = {
    Verdict.HEALTHY: "If a session was interrupted, resume it: cc-guard resume.",
    Verdict.UPSTREAM_OVERLOADED: (
        "Wait a few minutes and resume (cc-guard resume), or switch to a less loaded model "
        "(/model in Claude Code); your work is checkpointed."
    ),
    Verdict.UPSTREAM_ERROR: (
        "It is not you: wait and resume (cc-guard resume); the status page says when it is fixed."
    ),
    Verdict.RATE_LIMITED: (
        "Wait for the limit to reset, run fewer sessions at once, or switch model (/model)."
    ),
    Verdict.AUTH_PROBLEM: (
        "Fix the key: check ANTHROPIC_API_KEY / ANTHROPIC_AUTH_TOKEN against the Console, "
        "or log in again (/login in Claude Code)."
    ),
    Verdict.NETWORK_PROBLEM: (
        "Check the network: DNS, firewall, VPN, HTTPS_PROXY and ANTHROPIC_BASE_URL."
    ),
    Verdict.LOCAL_CONFIG_PROBLEM: "Fix the file or variable named above, then run doctor again.",
    Verdict.DEGRADED: ("Retrying may work: resume (cc-guard resume) and watch the status page."),
}


def judge(findings: Sequence[Finding]) -> tuple[Verdict, str, tuple[str, ...]]:
    """(verdict, one sentence, advice) for ``findings``."""
    pointing = {f.points_to for f in findings if f.points_to is not None}
    verdict = next((v for v in PRECEDENCE if v in pointing), Verdict.HEALTHY)
    evidence = [f.evidence for f in findings if f.points_to == verdict]
    sentence = HEADLINES[verdict] + (": " + "; ".join(evidence) if evidence else "") + "."
    fixes = [f.fix for f in findings if f.fix and f.points_to == verdict]
    fixes += [f.fix for f in findings if f.fix and f.points_to != verdict]
    advice = tuple(dict.fromkeys([ADVICE[verdict], *fixes]))
    return verdict, sentence, advice
