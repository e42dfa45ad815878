"""cc-guard's own calls to the Anthropic API: the most careful client it can be.

Data flows one way: ``credentials`` (key, token, endpoint, as Claude Code takes them)
and ``chain`` (the models to try, from ``[api] models``) feed ``complete.ApiClient``,
which asks each model in turn through ``client.ModelClient`` (one streamed call,
strict completeness checks), lets ``policy`` decide after each failure (retry,
continue, next model, next provider, shrink, stop), keeps the shared per-model
``circuit`` breakers and writes every attempt to the ``attempts`` log.

Not on the hook path (it imports the anthropic SDK); no Textual. Users of it: the
API summarizer (``cc_guard.handoff.summarize``) and ``cc-guard doctor``.
"""
