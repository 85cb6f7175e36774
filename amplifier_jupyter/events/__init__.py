"""Reading amplifier-core's contract events, whichever modules sent them."""
