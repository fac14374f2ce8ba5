"""
The Binance public data archive's file families: names, headers, layout.

One place that knows what the archive looks like, shared by the synthetic generator (which writes
it), the downloader (which fetches it) and the ingest (which reads it).
"""

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

FUTURES_UM = "futures/um"
SPOT = "spot"
MARKETS = (FUTURES_UM, SPOT)


@dataclass(frozen=True)
class Family:
    """
    One file family of the archive.

    Parameters
    ----------
    name : str
        The archive's folder name (``aggTrades``, ``klines`` ...).
    header : tuple[str, ...]
        Column names of the USD-M futures files (spot files carry no header row).
    period : str
        ``daily`` or ``monthly``.
    markets : tuple[str, ...]
        Markets whose archive publishes this family.
    interval : str | None
        Kline interval folder (``1m``) for klines, else None.
    spot_header : tuple[str, ...] | None
        Column names of the spot variant, when it differs.

    """

    name: str
    header: tuple[str, ...]
    period: str
    markets: tuple[str, ...] = (FUTURES_UM,)
    interval: str | None = None
    spot_header: tuple[str, ...] | None = None

    def columns(self, market: str) -> tuple[str, ...]:
        """Return the column names for `market`."""
        if market == SPOT and self.spot_header is not None:
            return self.spot_header
        return self.header

    def file_stem(self, symbol: str, period_label: str) -> str:
        """Return the file name without extension, e.g. ``BTCUSDT-aggTrades-2024-01-01``."""
        middle = self.interval if self.interval else self.name
        return f"{symbol}-{middle}-{period_label}"

    def archive_dir(self, market: str, symbol: str) -> PurePosixPath:
        """Return the archive folder, e.g. ``futures/um/daily/klines/BTCUSDT/1m``."""
        path = PurePosixPath(market, self.period, self.name, symbol)
        return path / self.interval if self.interval else path

    def archive_path(self, market: str, symbol: str, period_label: str, ext: str = "zip") -> PurePosixPath:
        """Return the archive-relative path of one file."""
        return self.archive_dir(market, symbol) / f"{self.file_stem(symbol, period_label)}.{ext}"


_AGG_TRADES_HEADER = (
    "agg_trade_id",
    "price",
    "quantity",
    "first_trade_id",
    "last_trade_id",
    "transact_time",
    "is_buyer_maker",
)
AGG_TRADES = Family(
    name="aggTrades",
    header=_AGG_TRADES_HEADER,
    # Binance's spot files carry the futures columns and one more (not a layout of their own).
    spot_header=(*_AGG_TRADES_HEADER, "is_best_match"),
    period="daily",
    markets=(FUTURES_UM, SPOT),
)
BOOK_TICKER = Family(
    name="bookTicker",
    header=(
        "update_id",
        "best_bid_price",
        "best_bid_qty",
        "best_ask_price",
        "best_ask_qty",
        "transaction_time",
        "event_time",
    ),
    period="daily",
)
KLINES_1M = Family(
    name="klines",
    header=(
        "open_time",
        "open",
        "high",
        "low",
        "close",
        "volume",
        "close_time",
        "quote_volume",
        "count",
        "taker_buy_volume",
        "taker_buy_quote_volume",
        "ignore",
    ),
    period="daily",
    markets=(FUTURES_UM, SPOT),
    interval="1m",
)
# Mark, index and premium-index klines: the kline layout, file names identical to the trade
# klines' (``BTCUSDT-1m-2024-01-01.zip``); only the family folder tells them apart.
MARK_PRICE_KLINES = Family(name="markPriceKlines", header=KLINES_1M.header, period="daily", interval="1m")
INDEX_PRICE_KLINES = Family(name="indexPriceKlines", header=KLINES_1M.header, period="daily", interval="1m")
PREMIUM_INDEX_KLINES = Family(name="premiumIndexKlines", header=KLINES_1M.header, period="daily", interval="1m")
KLINE_FAMILIES = ("klines", "markPriceKlines", "indexPriceKlines", "premiumIndexKlines")
# A kline-named file outside every kline family folder: its family cannot be told.
UNKNOWN_KLINE_FAMILY = ""
METRICS = Family(
    name="metrics",
    header=(
        "create_time",
        "symbol",
        "sum_open_interest",
        "sum_open_interest_value",
        "count_toptrader_long_short_ratio",
        "sum_toptrader_long_short_ratio",
        "count_long_short_ratio",
        "sum_taker_long_short_vol_ratio",
    ),
    period="daily",
)
BOOK_DEPTH = Family(
    name="bookDepth",
    header=("timestamp", "percentage", "depth", "notional"),
    period="daily",
)
FUNDING_RATE = Family(
    name="fundingRate",
    header=("calc_time", "funding_interval_hours", "last_funding_rate"),
    period="monthly",
)

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (AGG_TRADES, BOOK_TICKER, KLINES_1M, MARK_PRICE_KLINES, INDEX_PRICE_KLINES, PREMIUM_INDEX_KLINES, METRICS, BOOK_DEPTH, FUNDING_RATE)
}

# Other kline intervals exist in the archive; only 1m is a catalog family.
_NAME_RE = re.compile(
    r"^(?P<symbol>[A-Z0-9]+)-(?P<kind>aggTrades|bookTicker|metrics|bookDepth|fundingRate|trades|"
    r"\d+[smhdwM])-(?P<period>\d{4}-\d{2}(?:-\d{2})?)\.(?P<ext>csv|zip)$"
)


@dataclass(frozen=True)
class ArchiveFile:
    """A raw file recognised by its name (and, for spot vs futures, its folders)."""

    path: str
    symbol: str
    family: str
    market: str
    period_label: str
    ext: str
    interval: str | None = None

    @property
    def day(self) -> dt.date | None:
        """Return the UTC day of a daily file, else None."""
        if len(self.period_label) == 10:
            return dt.date.fromisoformat(self.period_label)
        return None

    @property
    def month(self) -> tuple[int, int]:
        """Return (year, month) of the file's period."""
        return int(self.period_label[:4]), int(self.period_label[5:7])


def parse_name(path: str) -> ArchiveFile | None:
    """
    Recognise an archive file from its path, whatever the folders around it.

    Parameters
    ----------
    path : str
        A file path in any layout (archive, flat research layout, shared samples).

    Kline files of every kline family share one name (``BTCUSDT-1m-2024-01-01.zip``): the nearest
    folder named after a kline family (``klines``, ``markPriceKlines`` ...) gives the family; with
    none, the family is ``UNKNOWN_KLINE_FAMILY`` and the caller must refuse the file.

    Returns
    -------
    ArchiveFile | None
        None when the name is not an archive file name (``.CHECKSUM`` files, notes ...).

    """
    p = PurePosixPath(str(path).replace("\\", "/"))
    m = _NAME_RE.match(p.name)
    if m is None:
        return None
    kind = m["kind"]
    interval = None
    if kind[0].isdigit():
        interval = kind
        family = next((part for part in reversed(p.parts[:-1]) if part in KLINE_FAMILIES), UNKNOWN_KLINE_FAMILY)
    else:
        family = kind
    market = SPOT if "spot" in p.parts[:-1] else FUTURES_UM
    return ArchiveFile(
        path=str(path),
        symbol=m["symbol"],
        family=family,
        market=market,
        period_label=m["period"],
        ext=m["ext"],
        interval=interval,
    )


def checksum_line(sha256_hex: str, file_name: str) -> str:
    """Return a ``.CHECKSUM`` file's text exactly as Binance ships it (no trailing newline)."""
    return f"{sha256_hex}  {file_name}"


def parse_checksum(text: str) -> tuple[str, str]:
    """
    Parse a ``.CHECKSUM`` file's text.

    Returns
    -------
    tuple[str, str]
        (sha256 hex, file name).

    Raises
    ------
    ValueError
        If the text is not ``<64 hex>  <name>``.

    """
    parts = text.strip().split()
    if len(parts) != 2 or not re.fullmatch(r"[0-9a-fA-F]{64}", parts[0]):
        raise ValueError(f"not a Binance CHECKSUM line: {text[:120]!r}")
    return parts[0].lower(), parts[1]
