"""
Dotted config keys: flatten TOML tables into key paths, print them, and set them in a config.

A sweep names any setting of a run config by its dotted key, ``strategy.params.use_obi``. TOML
turns an unquoted dotted key into nested tables, so both ``strategy.params.use_obi = false`` and
``"strategy.params.use_obi" = false`` are accepted: nested tables are flattened into key paths,
and a quoted dotted key directly in the table is split at its dots. A segment that itself holds a
dot (an instrument id in ``venue.leverages``) is written nested and quoted:
``venue.leverages."BTCUSDT-PERP.BINANCE" = 5``.

"""

import copy
import json
import re
from typing import Any

KeyPath = tuple[str, ...]
_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def flatten(table: dict[str, Any]) -> dict[KeyPath, Any]:
    """
    Return the leaves of a TOML table by key path.

    Parameters
    ----------
    table : dict[str, Any]
        The table; its own keys may be quoted dotted keys.

    Returns
    -------
    dict[KeyPath, Any]
        Every leaf (any value but a non-empty table) by its key path, in document order.

    """
    leaves: dict[KeyPath, Any] = {}
    for key, value in table.items():
        _collect(tuple(key.split(".")), value, leaves)
    return leaves


def _collect(path: KeyPath, value: Any, leaves: dict[KeyPath, Any]) -> None:
    if isinstance(value, dict) and value:
        for key, child in value.items():
            _collect((*path, key), child, leaves)
    else:
        leaves[path] = value


def dotted(path: KeyPath) -> str:
    """Return a key path as a dotted key, quoting the segments that are not bare TOML keys."""
    return ".".join(part if _BARE.match(part) else json.dumps(part) for part in path)


def get_path(data: dict[str, Any], path: KeyPath) -> Any:
    """Return the value at ``path`` in nested dicts, or ``None`` where the path does not exist."""
    node: Any = data
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def with_overrides(data: dict[str, Any], overrides: dict[KeyPath, Any]) -> dict[str, Any]:
    """
    Return a copy of a config (nested dicts) with every override set.

    Missing tables on the way are created (an unset ``[venue.fees]`` is ``None`` in a resolved
    config), so that whether the key exists is decided by the config's own validation, which names
    an unknown key with its full dotted path.

    Parameters
    ----------
    data : dict[str, Any]
        The config, as nested dicts (not changed).
    overrides : dict[KeyPath, Any]
        The values by key path.

    Returns
    -------
    dict[str, Any]

    Raises
    ------
    ValueError
        If a path runs through a value that is not a table (``period.start.year``).

    """
    result = copy.deepcopy(data)
    for path, value in overrides.items():
        node = result
        for depth, part in enumerate(path[:-1], start=1):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif not isinstance(child, dict):
                raise ValueError(
                    f"{dotted(path)}: {dotted(path[:depth])} is a value, not a table",
                )
            node = child
        node[path[-1]] = copy.deepcopy(value)
    return result
