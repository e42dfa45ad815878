"""What Claude Code's transcript records look like, as far as cc-guard knows.

Top-level fields of the records the engine folds, as Claude Code 2.1.x writes
them (from the recorded 2.1.328 and 2.1.332 fixtures and earlier 2.x transcripts). Fields
outside these sets are counted in ``ParseStats.unknown_fields``: the first sign
of a format change, never an error.
"""

from __future__ import annotations

# fmt: off
_COMMON = frozenset({
    "parentUuid", "logicalParentUuid", "isSidechain", "type", "uuid", "timestamp", "cwd",
    "sessionId", "version", "gitBranch", "userType", "entrypoint", "slug", "agentId", "isMeta",
})

KNOWN_FIELDS: dict[str, frozenset[str]] = {
    "user": _COMMON | {
        "message", "isCompactSummary", "isVisibleInTranscriptOnly", "origin",
        "permissionDecision", "permissionMode", "promptId", "promptSource",
        "queueSkipAttachments", "sandboxed", "sourceToolAssistantUUID", "toolUseResult",
        "turnOrigin", "turnPosition", "thinkingMetadata", "todos", "imagePasteIds", "mcpMeta",
        "requestId",
        # 2.1.332: where a row came from ("local" typed, "harness" meta) and when it was sent
        "rowSource", "sentAtMs",
    },
    "assistant": _COMMON | {
        "message", "apiBlockIndex", "apiErrorStatus", "apiErrorType", "attributionAgent",
        "effort", "error", "failedResponseHadNoToolCall", "isApiErrorMessage", "madeBy",
        "perTurnEffort", "promptCacheRequested", "requestId", "requestRef", "requestedModel",
        "toolInputStreamMs",
    },
    "system": _COMMON | {
        "subtype", "content", "level", "compactMetadata", "error", "maxRetries", "retryAttempt",
        "retryInMs", "source", "durationMs", "hookCount", "hookInfos", "hookErrors",
        "preventedContinuation", "stopReason", "hasOutput", "toolUseID", "cause",
    },
}
# fmt: on
