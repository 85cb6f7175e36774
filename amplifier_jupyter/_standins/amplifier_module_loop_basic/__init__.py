"""Stand-in for Amplifier's loop-basic (see amplifier_jupyter.standins)."""

from amplifier_jupyter.standins import stand_in

mount = stand_in("loop-basic")
