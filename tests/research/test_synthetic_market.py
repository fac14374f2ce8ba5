"""
Acceptance on the synthetic market (3 days, ground truth per minute): ``vpin`` flags the injected
toxic episodes, ``book``'s imbalance leads mid returns, ``flow`` finds the injected block trades.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research.cli import main

ROOT = Path(__file__).resolve().parents[2]
SYMBOL = "BTCUSDT"
INSTRUMENT = "BTCUSDT-PERP.BINANCE"
PERIOD = ["--start", "2024-01-01", "--end", "2024-01-04"]
MINUTE_NS = 60_000_000_000


@pytest.fixture(scope="module")
def market(tmp_path_factory) -> dict[str, Path]:
    """
    Generate 3 days of BTCUSDT, ingest them, run the three reports with their default options.

    Trades keep the generator's default density (150k a day: a median minute's VPIN bucket holds
    ~100 trades; at half that, the injected blocks, each worth several minutes of volume, weigh
    more in VPIN than the toxic episodes do); quotes are fewer than the default to keep it quick.
    """
    pytest.importorskip(
        "etl.synth.cli", reason="the synthetic generator (etl/synth) is not present"
    )
    base = tmp_path_factory.mktemp("synthetic_market")
    raw, catalog = base / "raw", base / "catalog"
    synth = [
        sys.executable,
        "-m",
        "etl",
        "synth",
        "--out",
        str(raw),
        "--symbols",
        SYMBOL,
        "--start",
        "2024-01-01",
    ]
    synth += ["--days", "3", "--seed", "7", "--quotes-per-day", "150000", "--quiet"]
    subprocess.run(synth, cwd=ROOT, check=True, timeout=600)
    ingest = [sys.executable, "-m", "etl", "ingest", "--raw", str(raw), "--catalog", str(catalog)]
    subprocess.run(ingest, cwd=ROOT, check=True, timeout=600, capture_output=True)
    for report in ("vpin", "book", "flow"):
        code = main(
            [
                report,
                "--catalog",
                str(catalog),
                "--instrument",
                INSTRUMENT,
                *PERIOD,
                "--out",
                str(base / report),
            ]
        )
        assert code == 0, report
    truth = next((raw / "ground_truth" / SYMBOL).glob("*.parquet"))
    return {"base": base, "truth": truth}


def _truth(market: dict[str, Path]) -> pd.DataFrame:
    truth = pd.read_parquet(market["truth"])
    truth["end"] = pd.to_datetime((truth["open_time"] + 60_000) * 1_000_000, utc=True)
    return truth


def test_vpin_flags_the_injected_toxic_episodes(market):
    # Arrange: each minute takes the trailing flag of the last bucket closed by its end
    buckets = pd.read_parquet(market["base"] / "vpin" / "vpin_buckets.parquet")
    truth = _truth(market)
    # Act
    minutes = pd.merge_asof(
        truth[["end", "toxic"]].rename(columns={"toxic": "episode"}),
        buckets[["close_time", "toxic", "threshold"]],
        left_on="end",
        right_on="close_time",
        allow_exact_matches=False,
    )
    minutes = pd.merge_asof(
        minutes,
        buckets[["close_time", "toxic_lookahead"]],
        left_on="end",
        right_on="close_time",
        allow_exact_matches=False,
    )
    judged = minutes[minutes["threshold"].notna()]
    inside = judged.loc[judged["episode"], "toxic"].mean()
    outside = judged.loc[~judged["episode"], "toxic"].mean()
    ahead_in = judged.loc[judged["episode"], "toxic_lookahead"].mean()
    ahead_out = judged.loc[~judged["episode"], "toxic_lookahead"].mean()
    print(
        f"\nvpin: flagged {inside:.1%} of {judged['episode'].sum()} episode minutes vs {outside:.1%} of "
        f"{(~judged['episode']).sum()} other minutes (trailing q0.9 over 1000 buckets; the look-ahead "
        f"full-sample q0.9 flag: {ahead_in:.1%} vs {ahead_out:.1%})"
    )
    # Assert
    assert judged["episode"].sum() > 100
    assert inside > 0.25
    assert inside > 5 * outside


def test_book_imbalance_leads_mid_returns_at_short_horizons(market):
    # Arrange: the generator tilts displayed depth toward the coming price moves
    leadlag = pd.read_parquet(market["base"] / "book" / "book_leadlag.parquet")
    obi = leadlag[leadlag["signal"] == "obi"].set_index("horizon")["corr"]
    print(
        f"\nbook: corr(OBI, forward return) {obi[['+1s', '+5s', '+10s']].round(3).to_dict()}, past {obi[['-1s', '-5s']].round(3).to_dict()}"
    )
    # Assert: positive at short horizons, and the imbalance leads (forward > past)
    assert obi["+1s"] > 0.05 and obi["+5s"] > 0.05
    assert obi["+5s"] > abs(obi["-5s"]) + 0.05


def test_flow_finds_the_injected_block_trades(market):
    # Arrange: blocks per minute, found (default threshold 500k USDT) vs injected
    events = pd.read_parquet(market["base"] / "flow" / "flow_events.parquet")
    truth = _truth(market)
    blocks = events[events["type"] == "block"]
    found = np.bincount(
        np.searchsorted(
            truth["open_time"].to_numpy() * 1_000_000,
            blocks["start"].astype("int64").to_numpy(),
            side="right",
        )
        - 1,
        minlength=len(truth),
    )
    injected = truth["block_trades"].to_numpy()
    # Act
    hits = np.minimum(found, injected).sum()
    recall, precision = hits / injected.sum(), hits / max(found.sum(), 1)
    print(
        f"\nflow: {found.sum()} blocks found, {injected.sum()} injected: recall {recall:.1%}, precision {precision:.1%}"
    )
    # Assert
    assert injected.sum() >= 15
    assert recall >= 0.95
    assert precision >= 0.95
