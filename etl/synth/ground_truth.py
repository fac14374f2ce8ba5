"""
Ground truth: what the generator injected, minute by minute, written beside the data.

``<out>/ground_truth/<SYM>/<SYM>-ground_truth.parquet`` (a name the archive parser ignores), one
row per generated minute, with these columns (each also described in the parquet field metadata):

=====================  =========  ==========================================================
column                 type       meaning
=====================  =========  ==========================================================
open_time              int64      minute open time, ms since the epoch (UTC)
toxic                  bool       inside a toxic episode (one-sided informed taker flow)
toxic_side             int8       +1 informed buying, -1 informed selling, 0 none
crowding_state         int8       +1 crowded long, -1 crowded short, 0 neutral
crowding_phase         int8       0 neutral, 1 building, 2 unwinding
crowding_intensity     float64    signed crowding level in [-1, 1] (state = sign where
                                  abs >= the threshold outside neutral phases)
vol_regime             int8       0 compressed, 1 normal, 2 expansion
sigma                  float64    true per-minute log-return volatility of the efficient price
drift                  float64    per-minute log drift (informed-flow and crowd trend)
activity               float64    intraday/weekly seasonal activity factor
expected_trades        float64    expected aggTrades in the minute (the Poisson mean)
buy_prob               float64    taker buy probability before momentum chasing
premium                float64    perp premium over spot (funding = its interval mean)
open_interest          float64    latent open interest, base units
block_trades           int16      block trades (large notional prints) in the minute
block_notional         float64    their total notional (quote currency)
=====================  =========  ==========================================================

File metadata: symbol, seed, ``block_min_notional`` (every block is at least this, every
other trade far below), ``crowd_threshold``, ``vol_multipliers``.
"""

import io
import json
from pathlib import Path
from pathlib import PurePosixPath

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from etl.synth.config import SynthConfig
from etl.synth.latent import MINUTE_MS
from etl.synth.latent import LatentMarket
from etl.synth.symbols import SymbolSpec
from etl.synth.writers import write_atomic

GROUND_TRUTH_DIR = "ground_truth"

COLUMNS: dict[str, tuple[pa.DataType, str]] = {
    "open_time": (pa.int64(), "minute open time, ms since the epoch (UTC)"),
    "toxic": (pa.bool_(), "inside a toxic episode (one-sided informed taker flow)"),
    "toxic_side": (pa.int8(), "+1 informed buying, -1 informed selling, 0 none"),
    "crowding_state": (pa.int8(), "+1 crowded long, -1 crowded short, 0 neutral"),
    "crowding_phase": (pa.int8(), "0 neutral, 1 building, 2 unwinding"),
    "crowding_intensity": (pa.float64(), "signed crowding level in [-1, 1]"),
    "vol_regime": (pa.int8(), "0 compressed, 1 normal, 2 expansion"),
    "sigma": (pa.float64(), "true per-minute log-return volatility of the efficient price"),
    "drift": (pa.float64(), "per-minute log drift (informed flow and crowd trend)"),
    "activity": (pa.float64(), "intraday/weekly seasonal activity factor"),
    "expected_trades": (pa.float64(), "expected aggTrades in the minute (Poisson mean)"),
    "buy_prob": (pa.float64(), "taker buy probability before momentum chasing"),
    "premium": (pa.float64(), "perp premium over spot; funding is its interval mean"),
    "open_interest": (pa.float64(), "latent open interest, base units"),
    "block_trades": (pa.int16(), "block trades (large notional prints) in the minute"),
    "block_notional": (pa.float64(), "total notional of the minute's block trades"),
}


def ground_truth_path(symbol: str) -> PurePosixPath:
    """Return the ground-truth file's path relative to the output root."""
    return PurePosixPath(GROUND_TRUTH_DIR, symbol, f"{symbol}-ground_truth.parquet")


def ground_truth_table(latent: LatentMarket, spec: SymbolSpec, config: SynthConfig) -> pa.Table:
    """Return the per-minute ground truth of the generated days."""
    h = slice(latent.horizon_start, len(latent.sigma))
    n = h.stop - h.start
    block_minute = latent.blocks.minute - h.start
    values = {
        "open_time": latent.first_minute_ms + np.arange(h.start, h.stop, dtype=np.int64) * MINUTE_MS,
        "toxic": latent.toxic_side[h] != 0,
        "toxic_side": latent.toxic_side[h],
        "crowding_state": latent.crowd_state[h],
        "crowding_phase": latent.crowd_phase[h],
        "crowding_intensity": latent.crowd_intensity[h],
        "vol_regime": latent.vol_regime[h],
        "sigma": latent.sigma[h],
        "drift": latent.drift[h],
        "activity": latent.activity[h],
        "expected_trades": latent.trade_rate[h],
        "buy_prob": latent.buy_prob[h],
        "premium": latent.premium[h],
        "open_interest": np.exp(latent.log_open_interest[h]),
        "block_trades": np.bincount(block_minute, minlength=n),
        "block_notional": np.bincount(block_minute, weights=latent.blocks.notional, minlength=n),
    }
    fields = [pa.field(name, t, metadata={"description": d}) for name, (t, d) in COLUMNS.items()]
    p = config.params
    metadata = {
        "symbol": spec.symbol,
        "seed": str(config.seed),
        "block_min_notional": repr(p.block_touch_multiple[0] * spec.touch_notional),
        "crowd_threshold": repr(p.crowd_threshold),
        "vol_multipliers": json.dumps(list(p.vol_multiplier)),
    }
    schema = pa.schema(fields, metadata=metadata)
    return pa.table([pa.array(values[f.name], f.type) for f in fields], schema=schema)


def write_ground_truth(root: Path, table: pa.Table) -> PurePosixPath:
    """Write `table` atomically to its place under `root`; return the relative path."""
    rel = ground_truth_path(table.schema.metadata[b"symbol"].decode())
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    write_atomic(Path(root) / rel, [buf.getvalue()])
    return rel
