"""Transcripts: every session's messages and events as JSONL beside the notebook.

Layout (the kernel's working directory is the notebook's directory)::

    .amplifier/.gitignore                  "*": transcripts stay out of git
    .amplifier/sessions/<session_id>/
        metadata.json                      id, parent, name, plan (redacted), turns, state
        messages.jsonl                     the conversation, one message a line
        events.jsonl                       every event, one a line; a stream's deltas one line

One idea a module, imported from where it lives (secrets are taken out by
``amplifier_jupyter.redaction``, which everything that writes or shows text uses):

- ``writer``: a session's ``TranscriptWriter``, attached as a hook; ``SETTINGS`` (on/off).
- ``messages_file``: ``messages.jsonl``, appended to, cut back where a rewritten conversation
  changed.
- ``deltas``: streamed deltas held back and written as one line per stream.
- ``store``: the folders, and reading saved sessions back (``saved_sessions``, ``find_saved``).
- ``export``: ``%amplifier save`` as ``.md``, ``.json`` or ``.jsonl``.
"""
