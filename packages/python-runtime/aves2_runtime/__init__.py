"""Runtime helpers shared by every AVES2 component.

The runner copies this package next to a component's entry script, so a
component simply does ``from aves2_runtime import events, metrics, device,
distributed``. Importing it costs only the standard library and numpy: torch
is imported lazily by the functions that need it.
"""

__all__ = ["device", "distributed", "events", "files", "metrics", "problems", "tables", "tabular"]
