"""The session layer: the kernel's session, its children, plans, resume; all process-wide state."""
