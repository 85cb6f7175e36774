"""What a ``%amplifier`` line does, one module per section of ``%amplifier help``."""
