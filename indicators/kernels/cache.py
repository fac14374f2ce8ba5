"""
Where numba caches this package's kernels: a folder per digest of every kernel source.

A kernel inlines steps from other kernel files, but numba keys a cached function by its own file
only, so an edit of ``rolling.py`` would leave ``flow.py``'s cached machine code stale. The
locator below keys every kernel by the digest of all kernel sources instead. It is registered in
front of numba's own locators and answers only for files of this folder, so nothing else in the
process changes where or how it caches (setting ``numba.config.CACHE_DIR`` would move every
library's cache).
"""

import hashlib
from pathlib import Path

from numba.core.caching import CacheImpl
from numba.core.caching import _CacheLocator

HERE = Path(__file__).resolve().parent


def sources_digest(folder: Path = HERE) -> str:
    """Return a digest of every kernel source file in ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


class KernelCacheLocator(_CacheLocator):
    """Cache this package's kernels under ``__pycache__/numba-<digest of all kernel sources>``."""

    _digest: str | None = None

    def __init__(self, py_func, py_file: str) -> None:
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        if KernelCacheLocator._digest is None:
            KernelCacheLocator._digest = sources_digest()
        self._path = HERE / "__pycache__" / f"numba-{KernelCacheLocator._digest}"

    def get_cache_path(self) -> str:
        """Return the digest-named folder."""
        return str(self._path)

    def get_source_stamp(self) -> str:
        """Return the digest of every kernel source (any edit anywhere invalidates all)."""
        return KernelCacheLocator._digest

    def get_disambiguator(self) -> str:
        """Return the function's first line (functions of one file share its index)."""
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func, py_file: str):
        """Return a locator for functions defined in this folder, None for any other."""
        try:
            if Path(py_file).resolve().parent != HERE:
                return None
        except OSError:
            return None
        locator = cls(py_func, py_file)
        try:
            locator.ensure_cache_path()
        except OSError:
            return None  # a read-only install: numba's own locators decide
        return locator


def install_locator() -> None:
    """Put ``KernelCacheLocator`` in front of numba's cache locators (once)."""
    if KernelCacheLocator not in CacheImpl._locator_classes:
        CacheImpl._locator_classes.insert(0, KernelCacheLocator)
