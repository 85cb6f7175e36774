"""Stand-in for Amplifier's context-simple (see amplifier_jupyter.standins)."""

from amplifier_jupyter.standins import stand_in

mount = stand_in("context-simple")
