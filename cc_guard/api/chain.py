"""The model chain: which models cc-guard asks, in order, and through which provider.

``[api] models`` lists model ids (the Anthropic API, at ``$ANTHROPIC_BASE_URL`` or
``[api] base_url``) and tables for other providers::

    [api]
    models = [
      "claude-sonnet-5-5",
      { provider = "vertex", model = "claude-haiku-5-5", region = "us-east5", project_id = "my-project" },
      { provider = "bedrock", model = "anthropic.claude-haiku-5-5-v1:0", region = "us-west-2" },
    ]

The default is a Sonnet-class model, then a Haiku-class model
(``cc_guard.config.DEFAULT_MODELS``). After the last entry comes the offline path,
which is the caller's (the summarizer writes the offline handoff).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

ANTHROPIC = "anthropic"
BEDROCK = "bedrock"
VERTEX = "vertex"


@dataclass(frozen=True)
class ModelRef:
    """One link of the chain."""

    model: str
    provider: str = ANTHROPIC
    region: str | None = None
    project_id: str | None = None

    @property
    def key(self) -> str:
        """The model's name in the circuit file and the attempts log."""
        where = "/".join(part for part in (self.project_id, self.region) if part)
        return f"{self.provider}:{self.model}" + (f"@{where}" if where else "")

    @property
    def endpoint(self) -> str:
        """What answers for this model: the provider, and for clouds the region and project.

        Models with the same endpoint share credentials: an auth failure skips them all.
        """
        return f"{self.provider}:{self.project_id or ''}:{self.region or ''}"

    def label(self) -> str:
        """How messages name it: the model id, with the provider when it is not Anthropic's API."""
        return self.model if self.provider == ANTHROPIC else f"{self.model} ({self.provider})"


def build_chain(models: Sequence[str | Mapping[str, str]]) -> tuple[ModelRef, ...]:
    """The chain from ``[api] models`` (already validated by cc_guard.config)."""
    chain: list[ModelRef] = []
    for entry in models:
        if isinstance(entry, str):
            ref = ModelRef(entry)
        else:
            ref = ModelRef(
                model=entry["model"],
                provider=entry.get("provider", ANTHROPIC),
                region=entry.get("region"),
                project_id=entry.get("project_id"),
            )
        if ref not in chain:
            chain.append(ref)
    return tuple(chain)
