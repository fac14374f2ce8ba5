"""
plotly.js written once per results folder, beside the pages that load it.

Inlining plotly.js (about 4.6 MB) into every report made each page heavy; instead every page
loads ``plotly.min.js`` by a relative path, from one copy per folder of pages (a sweep's folder,
or the parent folder of single runs' result folders). A page copied elsewhere needs the file
beside it (or one level up for a run's report).

"""

from pathlib import Path

from plotly.offline import get_plotlyjs

PLOTLY_FILE = "plotly.min.js"


def ensure_plotly(folder: str | Path) -> Path:
    """
    Write ``plotly.min.js`` into ``folder`` unless the same file is there, and return its path.

    Parameters
    ----------
    folder : str | Path
        Where the pages that load it sit (or their parent).

    Returns
    -------
    Path

    """
    path = Path(folder) / PLOTLY_FILE
    code = get_plotlyjs()
    if not path.exists() or path.stat().st_size != len(code.encode("utf-8")):
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{PLOTLY_FILE}.tmp")
        partial.write_text(code, encoding="utf-8")
        partial.replace(path)  # a page opened meanwhile never loads half of it
    return path


def script_tag(relative: str) -> str:
    """Return the ``<script>`` element that loads plotly.js from ``relative``."""
    return f'<script src="{relative}" charset="utf-8"></script>'
