"""
Download Binance public-archive files, verified against their ``.CHECKSUM`` and resumable.

``python -m etl download --symbols BTCUSDT --families aggTrades fundingRate --start 2024-01-01
--end 2024-02-01 --dest data/raw`` fetches one file per day of January (``--end`` excluded) (one per overlapping month for
``fundingRate``) into the archive's own layout below ``--dest``, each zip beside its
``.CHECKSUM``. Every file ends in exactly one status:

- ``fetched``: downloaded to ``<name>.part``, sha256-verified, renamed into place;
- ``skipped``: already present and matching its local ``.CHECKSUM`` (re-hashed, no download);
- ``missing``: the archive answers 404 (it has gaps); listed, not an error;
- ``corrupt``: the zip does not match its ``.CHECKSUM``; nothing is kept for it;
- ``failed``: network or HTTP errors after retries (exponential backoff with jitter on
  connection errors, timeouts, truncated bodies, 5xx, 408 and 429; never on 404 or other 4xx),
  local I/O errors, Ctrl-C, or a zip published without a ``.CHECKSUM`` (refused by default);
- ``unverified``: such a zip kept anyway because ``--allow-unverified`` was given.

Exit code: 0 unless something is corrupt or failed (1); 2 for bad arguments; 130 when interrupted (Ctrl-C or SIGTERM).

The package is split by job: `plan` (arguments → files), `client` (HTTP with retries), `store`
(local verification and atomic writes), `fetch` (one file's protocol), `runner` (threads and
progress), `report` (outcomes, table, JSON, exit code), `cli` (the command line).
"""

from etl.download.cli import add_arguments
from etl.download.cli import run

__all__ = ["add_arguments", "run"]
