"""Command-line arguments of the tabular components, read as AVES2 passes them.

AVES2 turns every job arg into ``--name value`` text, and the upstream job
files spell values their way: ``--max_depth None``, ``--bin_seeding False``,
``--criterion mse``. Each component declares its args with ``Arg``; its
manifest declares the same params (a conformance test compares the two
through ``--aves2-describe-args``).
"""

import argparse
import json
import sys

from ..problems import Problem, exit_with

NONE_WORDS = frozenset(["none", "null", ""])
TRUE_WORDS = frozenset(["true", "yes", "on", "1"])
FALSE_WORDS = frozenset(["false", "no", "off", "0"])


class Arg:
    """One param: ``kind`` is int, float, str, bool or choice; ``nullable`` accepts None (upstream's "unset").

    ``renames`` maps an old spelling (scikit-learn renamed "mse" to
    "squared_error") to the current one, so old job files keep working.
    """

    def __init__(self, name, kind, default=None, help="", choices=None, renames=None, nullable=False, minimum=None, maximum=None):
        if kind not in ("int", "float", "str", "bool", "choice"):
            raise ValueError(f"unknown kind {kind!r}")
        self.name = name
        self.kind = kind
        self.default = default
        self.help = help
        self.choices = list(choices or [])
        self.renames = dict(renames or {})
        self.nullable = nullable
        self.minimum = minimum
        self.maximum = maximum

    def parse(self, text):
        raw = text.strip()
        if self.nullable and raw.lower() in NONE_WORDS:
            return None
        if self.kind == "str":
            return text
        if self.kind == "bool":
            low = raw.lower()
            if low in TRUE_WORDS:
                return True
            if low in FALSE_WORDS:
                return False
            raise ValueError(f'"{text}" is not a boolean (true/false)')
        if self.kind == "choice":
            value = self.renames.get(raw, raw)
            if value not in self.choices:
                raise ValueError(f'"{text}" is not one of {", ".join(self.choices + list(self.renames))}')
            return value
        try:
            value = int(raw) if self.kind == "int" else float(raw)
        except ValueError:
            raise ValueError(f'"{text}" is not {"an integer" if self.kind == "int" else "a number"}') from None
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"{value} is below the minimum {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"{value} is above the maximum {self.maximum}")
        return value

    def describe(self):
        """What the manifest must declare for this arg."""
        d = {"name": self.name, "type": _MANIFEST_TYPE[self.kind], "default": self.default}
        if self.kind == "choice":
            d["values"] = self.choices + list(self.renames)
        if self.nullable:
            d["nullable"] = True
        if self.minimum is not None:
            d["min"] = self.minimum
        if self.maximum is not None:
            d["max"] = self.maximum
        if self.help:
            d["description"] = self.help
        return d


_MANIFEST_TYPE = {"int": "integer", "float": "number", "str": "string", "bool": "boolean", "choice": "enum"}


def parse_args(description, args, io, argv=None, empty_folders_unset=False):
    """Parse ``argv`` into a namespace: ``io`` are the folder args (data_dir, model_dir, output_path, ...).

    ``empty_folders_unset``: an empty folder arg counts as not given (None), as
    AVES2 passes an unbound input as an empty string.

    ``--aves2-describe-args`` prints the declared params as JSON and exits
    (the catalog's conformance test compares them with the manifest).
    """
    argv = sys.argv[1:] if argv is None else argv
    if "--aves2-describe-args" in argv:
        print(json.dumps([a.describe() for a in args]))
        raise SystemExit(0)
    parser = argparse.ArgumentParser(description=description)
    for name, required in io:
        parser.add_argument(f"--{name}", required=required)
    for a in args:
        parser.add_argument(f"--{a.name}", default=None, help=a.help)
    ns = parser.parse_args(argv)
    for a in args:
        text = getattr(ns, a.name)
        if text is None:
            setattr(ns, a.name, a.default)
            continue
        try:
            setattr(ns, a.name, a.parse(text))
        except ValueError as e:
            exit_with(Problem(f"--{a.name}", str(e)))
    if empty_folders_unset:
        for name, _ in io:
            if not getattr(ns, name):
                setattr(ns, name, None)
    return ns
