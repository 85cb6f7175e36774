"""IPython and ipykernel glue that every layer may use: the shell and its namespace, the kernel's
interrupt.
"""
