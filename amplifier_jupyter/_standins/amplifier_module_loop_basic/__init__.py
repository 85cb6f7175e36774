"""Stand-in for Amplifier's loop-basic (see amplifier_jupyter.loading.standins)."""

from amplifier_jupyter.loading.standins import stand_in

mount = stand_in("loop-basic")
