"""Recorded model calls that replay: Restart & Run All, nbval and papermill give the same
answers without calling the model.

The host wraps every mounted provider (any provider module: :mod:`.provider`). Each call's
request, as the provider receives it, becomes a key (:mod:`.key`: the messages, tools,
model and sampling settings, the provider's config without its key, address, timeouts
or retries, and tool results with what varies from run to run normalised). The
calls live beside the notebook in ``NAME.ipynb.amplifier-replay.jsonl`` (:mod:`.store`),
one call per line. The mode (:mod:`.state`): ``off`` (the default), ``on`` (recorded
calls replay, others go to the model and are recorded), ``strict`` (an unseen call is
an error naming what differs from the nearest record: :mod:`.nearest`).
"""
