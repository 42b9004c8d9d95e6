"""Sphinx hook for the API page: plain-text ``|x|`` in docstrings is an absolute value.

The attribute doc-comments of the experiment reports write norms and absolute values
in plain text (``|beta - X^+ Y|``, for the ``help()`` reader). reStructuredText reads
``|name|`` as a substitution reference, which does not exist, so this hook escapes
every ``|`` outside inline literals (````...````) and roles (``:math:`...```)
before autodoc renders the docstring.
"""
import re

_PROTECTED = re.compile(r"(``.*?``|:[a-z:]+:`[^`]*`|`[^`]*`_?)")


def _escape_bars(line: str) -> str:
    parts = _PROTECTED.split(line)
    for i in range(0, len(parts), 2):  # even indices lie outside literals and roles
        parts[i] = re.sub(r"(?<!\\)\|", r"\\|", parts[i])
    return "".join(parts)


def _process(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if "|" not in line or stripped.startswith(("+", "|")) or stripped.startswith(".. "):
            continue  # grid tables and directives keep their bars
        lines[i] = _escape_bars(line)


def setup(app):
    app.connect("autodoc-process-docstring", _process)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
