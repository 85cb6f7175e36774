"""Stand-in for Amplifier's provider-anthropic (see amplifier_jupyter.standins)."""

from amplifier_jupyter.standins import stand_in

mount = stand_in("provider-anthropic")
