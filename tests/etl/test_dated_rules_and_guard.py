"""Dated instrument rules and the mass-rejection guard (issue 12): the 2020 spot case, tick changes, limits."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from etl.__main__ import main as etl_main
from etl.archive import FUTURES_UM
from etl.archive import SPOT
from etl.ingest import ingest
from etl.instruments import InstrumentSpecs
from etl.instruments import read_spec
from tests.etl.instrument_files import PERP_BTC_WITH_TICK_CHANGE
from tests.etl.instrument_files import SPOT_BTC_WITH_2020_ERA
from tests.etl.instrument_files import write_instruments
from tests.etl.rawfiles import DAY_MS
from tests.etl.rawfiles import trade_rows
from tests.etl.rawfiles import write_raw

JAN_2020_MS = 1_577_836_800_000  # 2020-01-01T00:00:00Z
DAY = 86_400_000
SPOT_BARS = "data/bar/BTCUSDT.BINANCE-1-MINUTE-LAST-EXTERNAL"


def spot_2020_rows(day: int, seed: int) -> list[str]:
    """One day of spot 1m klines as Binance published them in January 2020: no header, ms, 6-decimal volumes."""
    rng = np.random.default_rng(seed)
    rows = []
    for minute in range(1440):
        open_ms = JAN_2020_MS + day * DAY + minute * 60_000
        o = 7200 + int(rng.integers(0, 5000)) / 100
        h, low = o + int(rng.integers(0, 300)) / 100, o - int(rng.integers(0, 300)) / 100
        c = (low + h) / 2
        volume = int(rng.integers(1, 50_000_000)) / 1_000_000  # 6 decimals, as the exchange's step then allowed
        rows.append(f"{open_ms},{o:.2f},{h:.2f},{low:.2f},{c:.2f},{volume:.6f},{open_ms + 59_999},{volume * c:.8f},{int(rng.integers(1, 900))},{volume / 2:.6f},{volume * c / 2:.8f},0")
    return rows


@pytest.fixture
def raw_2020(tmp_path) -> Path:
    raw = tmp_path / "raw"
    for day in range(3):
        write_raw(raw, "klines", f"2020-01-0{day + 1}", spot_2020_rows(day, seed=day), market=SPOT, header=False)
    return raw


def _with_price(row: str, price: str) -> str:
    fields = row.split(",")
    fields[1] = price
    return ",".join(fields)


def _on_current_step(rows: list[str]) -> int:
    """Count, independently of the ETL, the rows whose volume is a multiple of 0.00001."""
    return sum(1 for r in rows if Decimal(r.split(",")[5]) % Decimal("0.00001") == 0)


def test_2020_spot_klines_without_a_dated_rule_fail_with_one_diagnostic_and_write_nothing(raw_2020, tmp_path, capsys):
    # Arrange
    catalog = tmp_path / "catalog"

    # Act
    code = etl_main(["ingest", "--raw", str(raw_2020), "--catalog", str(catalog), "--quiet"])
    summary = ingest(raw_2020, tmp_path / "catalog2")

    # Assert
    assert code == 1
    assert [r.status for r in summary.results] == ["mass_rejection"] * 3
    first = summary.results[0]
    rows = spot_2020_rows(0, seed=0)
    rejected = 1440 - _on_current_step(rows)
    assert rejected > 1200
    assert f"{rejected:,} of 1,440 rows" in first.error
    assert "rejected as off_step_size, e.g. line 1" in first.error
    assert "volume has 6 decimals" in first.error
    assert "spot.BTCUSDT step 0.00001 in force on 2020-01-01: add a dated rule" in first.error
    assert first.rows_written == 0 and first.outputs == []
    for root in (catalog, tmp_path / "catalog2"):
        assert not list((root / SPOT_BARS).glob("*"))  # no day file, no temporary file
        assert not list((root / "_etl").rglob("*.rejects.csv*"))


def test_a_dated_rule_lands_all_1440_bars_of_each_2020_day_exactly(raw_2020, tmp_path):
    # Arrange
    toml = write_instruments(tmp_path / "instruments.toml", SPOT_BTC_WITH_2020_ERA)

    # Act
    summary = ingest(raw_2020, tmp_path / "catalog", instruments_file=toml)

    # Assert
    assert summary.exit_code == 0
    assert [(r.status, r.rows_written, r.rows_rejected) for r in summary.results] == [("ok", 1440, 0)] * 3
    table = pq.read_table(tmp_path / "catalog" / SPOT_BARS)
    assert table.schema.metadata[b"size_precision"] == b"6"
    raw_volumes = [Decimal(r.split(",")[5]) for day in range(3) for r in spot_2020_rows(day, seed=day)]
    stored = [Decimal(int.from_bytes(v, "little", signed=True)).scaleb(-16) for v in table.column("volume").to_pylist()]
    assert stored == raw_volumes


def test_without_the_guard_the_2020_day_keeps_only_its_rows_on_todays_step(raw_2020, tmp_path):
    # Arrange
    rows = spot_2020_rows(0, seed=0)

    # Act: the share raised to 100% brings back the old silent behaviour, for the comparison
    summary = ingest(raw_2020, tmp_path / "catalog", max_reject_share=1.0, families=["klines"], end=dt.date(2020, 1, 2))

    # Assert
    (result,) = summary.results
    assert result.status == "ok"
    assert result.rows_written == _on_current_step(rows) < 200
    assert result.rejects == {"off_step_size": 1440 - result.rows_written}


def test_isolated_bad_rows_are_quarantined_and_a_systematic_reason_fails_only_its_file(tmp_path):
    # Arrange: 9 off-tick rows in 1,000 (below the 10-row floor), 20 in 1,000 (2% > 1%)
    raw = tmp_path / "raw"
    isolated = trade_rows(1000)
    systematic = trade_rows(1000, start_ms=DAY_MS + DAY)
    for i in range(9):
        isolated[100 * i + 5] = _with_price(isolated[100 * i + 5], "42000.05")
    for i in range(20):
        systematic[50 * i + 7] = _with_price(systematic[50 * i + 7], "42000.05")
    write_raw(raw, "aggTrades", "2024-01-01", isolated)
    write_raw(raw, "aggTrades", "2024-01-02", systematic)

    # Act
    strict_default = ingest(raw, tmp_path / "catalog")
    lenient = ingest(raw, tmp_path / "catalog_lenient", max_reject_share=0.05)

    # Assert
    first, second = strict_default.results
    assert (first.status, first.rows_written, first.rejects) == ("ok", 991, {"off_tick_price": 9})
    assert second.status == "mass_rejection"
    assert "20 of 1,000 rows (2.0%) rejected as off_tick_price" in second.error
    assert "price has 2 decimals" in second.error and "perpetual.BTCUSDT tick 0.1 in force on 2024-01-02" in second.error
    assert strict_default.exit_code == 1
    assert [r.status for r in lenient.results] == ["ok", "ok"]
    assert lenient.results[1].rejects == {"off_tick_price": 20}


def test_max_reject_share_flag_is_validated(tmp_path, capsys):
    # Arrange
    (tmp_path / "raw").mkdir()

    # Act
    code = etl_main(["ingest", "--raw", str(tmp_path / "raw"), "--catalog", str(tmp_path / "c"), "--max-reject-share", "1.5"])

    # Assert
    assert code == 2
    assert "--max-reject-share must be between 0 and 1" in capsys.readouterr().err


def test_tick_change_mid_history_validates_each_day_against_its_own_rule(tmp_path):
    # Arrange: 0.01 tick until 2024-01-02, 0.1 from then; the change day accepts both grids
    toml = write_instruments(tmp_path / "instruments.toml", PERP_BTC_WITH_TICK_CHANGE)
    raw = tmp_path / "raw"
    for day in range(3):
        rows = trade_rows(300, start_id=1 + 1000 * day, start_ms=DAY_MS + day * DAY)
        rows = [_with_price(r, f"{42000 + 0.01 * (1 + i % 9):.2f}") if i % 3 == 0 else r for i, r in enumerate(rows)]
        write_raw(raw, "aggTrades", f"2024-01-0{day + 1}", rows)

    # Act
    summary = ingest(raw, tmp_path / "catalog", instruments_file=toml, max_reject_share=1.0)

    # Assert
    day1, day2, day3 = summary.results
    assert (day1.rows_written, day1.rejects) == (300, {})
    assert (day2.rows_written, day2.rejects) == (300, {})
    assert day3.rejects == {"off_tick_price": 100}
    spec = InstrumentSpecs(toml).get(FUTURES_UM, "BTCUSDT")
    catalog_instrument = spec.to_instrument()
    assert (catalog_instrument.price_precision, str(catalog_instrument.price_increment)) == (2, "0.01")
    day3_rules = spec.to_instrument(on=dt.date(2024, 1, 3))
    assert str(day3_rules.price_increment) == "0.10" and str(day3_rules.min_notional) == "100.00000000 USDT"
    assert str(spec.to_instrument(on=dt.date(2024, 1, 1)).min_notional) == "5.00000000 USDT"
    # The catalog keeps the history it was validated against, for backtests of any period.
    assert read_spec(tmp_path / "catalog", "BTCUSDT-PERP.BINANCE") == spec


def test_adding_a_dated_rule_reingests_files_validated_under_the_old_rules(raw_2020, tmp_path):
    # Arrange: first ingested leniently under today's step (rows quarantined), then the rule is added
    catalog = tmp_path / "catalog"
    ingest(raw_2020, catalog, max_reject_share=1.0)
    toml = write_instruments(tmp_path / "instruments.toml", SPOT_BTC_WITH_2020_ERA)

    # Act
    again = ingest(raw_2020, catalog, instruments_file=toml)
    third = ingest(raw_2020, catalog, instruments_file=toml)

    # Assert
    assert [(r.status, r.rows_written) for r in again.results] == [("ok", 1440)] * 3
    assert not again.skipped
    assert len(third.skipped) == 3 and not third.results


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ('[[spot.BTCUSDT.rules]]\nsince = 2022-01-01\nstep_size = "0.00001"\n[[spot.BTCUSDT.rules]]\nsince = 2021-01-01\nstep_size = "0.0001"\n', "is not after the previous rule's 2022-01-01"),
        ('[[spot.BTCUSDT.rules]]\nsince = 2022-01-01\nbase = "ETH"\n', "unknown key(s) ['base']"),
        ('[[spot.BTCUSDT.rules]]\nstep_size = "0.00001"\n', "missing 'since'"),
        ('[[spot.BTCUSDT.rules]]\nsince = "Jan 2022"\nstep_size = "0.00001"\n', "is not a UTC date"),
    ],
)
def test_malformed_dated_rules_are_refused_naming_file_and_symbol(tmp_path, rules, message):
    # Arrange
    toml = write_instruments(tmp_path / "instruments.toml", SPOT_BTC_WITH_2020_ERA.split("[[")[0] + rules)

    # Act / Assert
    with pytest.raises(ValueError, match=r"instruments\.toml: \[spot\.BTCUSDT\]") as caught:
        InstrumentSpecs(toml)
    assert message in str(caught.value)


def test_a_file_whose_name_misdates_its_rows_fails_with_the_cause_in_words(tmp_path):
    # Arrange: the 2024-01-01 trades saved under the 2024-01-02 name
    raw = tmp_path / "raw"
    write_raw(raw, "aggTrades", "2024-01-02", trade_rows(50))

    # Act
    summary = ingest(raw, tmp_path / "catalog")

    # Assert
    (result,) = summary.results
    assert result.status == "mass_rejection"
    assert "50 of 50 rows (100.0%) rejected as outside_file_period, e.g. line 2" in result.error
    assert "the date in the file name does not match its contents" in result.error
    assert not list((tmp_path / "catalog" / "data" / "trade_tick").rglob("*.parquet*"))
