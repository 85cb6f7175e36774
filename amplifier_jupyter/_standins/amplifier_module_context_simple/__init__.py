"""Stand-in for Amplifier's context-simple (see amplifier_jupyter.loading.standins)."""

from amplifier_jupyter.loading.standins import stand_in

mount = stand_in("context-simple")
