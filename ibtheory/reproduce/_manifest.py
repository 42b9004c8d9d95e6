"""The output directory of a reproduction: table files, figure files and ``manifest.json``.

The manifest records what was run (experiment id, preset, full settings and
seeds, the cache key), with what (package version, git commit, source
fingerprint, Python and NumPy versions, platform), where (backend, workers,
shards) and at what cost (wall and CPU time, peak resident memory). A later
call with the same key finds the manifest and the files it lists and returns
them without recomputing.

See the book chapter *Reproducing the papers* (``book/reproduce.md``).
"""
from __future__ import annotations

import json
import math
import os
import platform
import subprocess
from pathlib import Path

import numpy as np

MANIFEST = "manifest.json"
TABLE = "results"
FIGURE = "figure"
SCHEMA = 1


def jsonable(v):
    """``v`` as plain JSON values (tuples as lists, NumPy scalars as numbers, nan as a string)."""
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return jsonable(v.tolist())
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if not math.isfinite(v):
            return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
        return v
    if isinstance(v, Path):
        return str(v)
    if v is None or isinstance(v, (int, str)):
        return v
    return repr(v)


def git_commit() -> dict:
    """The git commit of the source tree ibtheory is imported from, if it is a checkout."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return {"commit": None, "dirty": None}
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        status = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "ibtheory"],
                                capture_output=True, text=True, timeout=10, check=True).stdout
        return {"commit": commit or None, "dirty": bool(status.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def platform_info() -> dict:
    import numpy
    import scipy

    return {"python": platform.python_version(), "implementation": platform.python_implementation(),
            "system": platform.platform(), "machine": platform.machine(), "node": platform.node(),
            "cpu_count": os.cpu_count(), "numpy": numpy.__version__, "scipy": scipy.__version__}


def has_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def write_table(table, out: Path) -> dict[str, str]:
    """Write ``results.csv`` (always) and ``results.parquet`` (with pyarrow); return the names."""
    files = {"csv": f"{TABLE}.csv"}
    table.to_csv(out / files["csv"], index=False)
    if has_pyarrow():
        try:
            table.to_parquet(out / f"{TABLE}.parquet", index=False)
            files["parquet"] = f"{TABLE}.parquet"
        except Exception:  # a column Arrow cannot type (e.g. mixed objects): CSV only
            (out / f"{TABLE}.parquet").unlink(missing_ok=True)
    return files


def read_table(out: Path, files: dict):
    import pandas as pd

    if "parquet" in files and has_pyarrow():
        return pd.read_parquet(out / files["parquet"])
    return pd.read_csv(out / files["csv"])


def write_figure(fig, out: Path) -> dict[str, str]:
    """Save ``fig`` as PNG and SVG, then close it (it is not shown twice in a notebook)."""
    files = {"png": f"{FIGURE}.png", "svg": f"{FIGURE}.svg"}
    fig.savefig(out / files["png"], dpi=150, bbox_inches="tight")
    fig.savefig(out / files["svg"], bbox_inches="tight")
    try:
        import matplotlib.pyplot as plt

        plt.close(fig)
    except Exception:  # pragma: no cover - a figure outside pyplot
        pass
    return files


def write_manifest(manifest: dict, out: Path) -> None:
    tmp = out / f".{MANIFEST}.tmp{os.getpid()}"
    tmp.write_text(json.dumps(jsonable(manifest), indent=2, allow_nan=False))
    os.replace(tmp, out / MANIFEST)


def read_cached(out: Path, key: str):
    """``(manifest, table)`` of a finished run with cache key ``key`` in ``out``, else None."""
    path = out / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text())
        if manifest.get("schema") != SCHEMA or manifest.get("key") != key:
            return None
        files = manifest["files"]
        if not all((out / name).exists() for name in files.values()):
            return None
        return manifest, read_table(out, files)
    except (OSError, ValueError, KeyError, TypeError, ImportError):
        return None  # unreadable or partial: recompute
