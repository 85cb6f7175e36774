"""Stand-in for Amplifier's provider-anthropic (see amplifier_jupyter.loading.standins)."""

from amplifier_jupyter.loading.standins import stand_in

mount = stand_in("provider-anthropic")
