"""Built-in Amplifier modules shipped with amplifier-jupyter."""
