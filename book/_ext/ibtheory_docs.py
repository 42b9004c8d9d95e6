"""Sphinx hook for the API page: plain-text ``|x|`` in docstrings is an absolute value.

The attribute doc-comments of the experiment reports write norms and absolute values
in plain text (``|beta - X^+ Y|``, for the ``help()`` reader). reStructuredText reads
``|name|`` as a substitution reference, which does not exist, so this hook escapes
every ``|`` outside inline literals (````...````) and roles (``:math:`...```)
before autodoc renders the docstring.
"""
import importlib
import inspect
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
        table_row = stripped.startswith("|") and stripped.rstrip().endswith("|")
        if "|" not in line or stripped.startswith("+") or table_row or stripped.startswith(".. "):
            continue  # grid tables and directives keep their bars
        lines[i] = _escape_bars(line)


def _candidates(node):
    target = node.get("reftarget", "")
    mod = node.get("py:module") or ""
    cls = node.get("py:class") or ""
    out = [target]
    if mod:
        out.append(f"{mod}.{target}")
        if cls:
            out.append(f"{mod}.{cls}.{target}")
    return [c.lstrip("~.") for c in out if c]


def _resolve_reexport(app, env, node, contnode):
    """Resolve a cross-reference to a re-exported or module-relative name.

    The chapters cite the short public paths (``ibtheory.papers.yun2021.g_inv``)
    while the API page documents each object once, where it is defined
    (``ibtheory.papers.yun2021.closed_forms.g_inv``); docstrings cite names relative
    to their own module. Among the documented objects with the same last name, the
    one whose path shares the longest prefix with the cited path is the target.
    """
    if node.get("refdomain") != "py":
        return None
    domain = env.get_domain("py")
    objects = domain.objects
    for cand in _candidates(node):
        last = cand.rsplit(".", 1)[-1]
        matches = [k for k in objects if k == cand or k.endswith("." + last)]
        if not matches:
            continue

        def shared(k):
            a, b = k.split("."), cand.split(".")
            n = 0
            while n < min(len(a), len(b)) and a[n] == b[n]:
                n += 1
            return n

        best = max(matches, key=lambda k: (shared(k), -len(k)))
        if shared(best) == 0 and len(matches) > 1:
            continue
        return domain.resolve_xref(env, node.get("refdoc", ""), app.builder,
                                   node.get("reftype"), best, node, contnode)
    # A module constant (documented by its comment in the source, not on the API page):
    # shown as code, without a link, when the name really exists.
    if node.get("reftype") in ("data", "const", "attr", "obj", "class"):
        for cand in _candidates(node):
            obj = _import_object(cand)
            if obj is not _MISSING and not (inspect.isclass(obj) or inspect.isroutine(obj)
                                            or inspect.ismodule(obj)):
                return contnode
    return None


_MISSING = object()


def _import_object(path):
    """The object at dotted ``path`` (longest importable module prefix, then attributes)."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except Exception:
            continue
        try:
            for name in parts[i:]:
                obj = getattr(obj, name)
            return obj
        except AttributeError:
            return _MISSING
    return _MISSING


def setup(app):
    app.connect("autodoc-process-docstring", _process)
    app.connect("missing-reference", lambda app, env, node, contnode:
                _resolve_reexport(app, env, node, contnode))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
