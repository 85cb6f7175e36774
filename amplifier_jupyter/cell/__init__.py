"""What a ``%%amplifier`` cell does: its options, its run."""
