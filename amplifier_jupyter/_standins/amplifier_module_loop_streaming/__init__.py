"""Stand-in for Amplifier's loop-streaming (see amplifier_jupyter.standins)."""

from amplifier_jupyter.standins import stand_in

mount = stand_in("loop-streaming")
