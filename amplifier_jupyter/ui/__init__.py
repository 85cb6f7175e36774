"""What the user sees of a run: views of its events, approvals and messages."""
