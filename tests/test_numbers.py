"""read_value: the messy things people type into a 自评表 → (kind, value, comparator, unit); and the
rounding, comparison and formatting helpers the rules rely on."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest

from perfxl.numbers import Reading, clean_text, close, display_text, format_number, format_percent, read_value, round_half_up

NUMBER, BLANK, TEXT = "number", "blank", "text"

CASES = [
    # raw, number_format, kind, value, comparator, unit
    (918, None, NUMBER, 918.0, None, None),
    (918.5, None, NUMBER, 918.5, None, None),
    ("918.00", None, NUMBER, 918.0, None, None),
    ("９１８", None, NUMBER, 918.0, None, None),
    ("918万元", None, NUMBER, 918.0, None, "万元"),
    ("1,835", None, NUMBER, 1835.0, None, None),
    ("1,835.5万元", None, NUMBER, 1835.5, None, "万元"),
    ("100%", None, NUMBER, 100.0, None, "%"),
    ("１００％", None, NUMBER, 100.0, None, "%"),
    ("95 %", None, NUMBER, 95.0, None, "%"),
    ("≥95%", None, NUMBER, 95.0, ">=", "%"),
    ("≧95%", None, NUMBER, 95.0, ">=", "%"),
    ("≥ 95.5 %", None, NUMBER, 95.5, ">=", "%"),
    ("＞90%", None, NUMBER, 90.0, ">", "%"),
    ("<5%", None, NUMBER, 5.0, "<", "%"),
    ("不低于95%", None, NUMBER, 95.0, ">=", "%"),
    ("大于等于95%", None, NUMBER, 95.0, ">=", "%"),  # the longer word wins over 大于
    ("大于95%", None, NUMBER, 95.0, ">", "%"),
    ("不超过30天", None, NUMBER, 30.0, "<=", "天"),
    ("≤30天", None, NUMBER, 30.0, "<=", "天"),
    ("=100%", None, NUMBER, 100.0, "=", "%"),
    ("95%以上", None, NUMBER, 95.0, ">=", "%"),
    ("30天以内", None, NUMBER, 30.0, "<=", "天"),
    ("12个以上", None, NUMBER, 12.0, ">=", "个"),
    ("5个", None, NUMBER, 5.0, None, "个"),
    ("5 个", None, NUMBER, 5.0, None, "个"),
    ("10分", None, NUMBER, 10.0, None, "分"),
    ("0.5‰", None, NUMBER, 0.5, None, "‰"),
    ("-5", None, NUMBER, -5.0, None, None),
    (".5", None, NUMBER, 0.5, None, None),
    ("　92", None, NUMBER, 92.0, None, None),
    ("92\n", None, NUMBER, 92.0, None, None),
    (-0.0, None, NUMBER, 0.0, None, None),
    # a number with a percent format is shown (and meant) as a percentage
    (0.95, "0%", NUMBER, 95.0, None, "%"),
    (1, "0%", NUMBER, 100.0, None, "%"),
    (0.9583, "0.00%", NUMBER, 95.83, None, "%"),
    (0.95, "General", NUMBER, 0.95, None, None),
    (95, "0.00", NUMBER, 95.0, None, None),
    # nothing written
    ("", None, BLANK, None, None, None),
    (None, None, BLANK, None, None, None),
    (None, "0%", BLANK, None, None, None),
    ("—", None, BLANK, None, None, None),
    ("——", None, BLANK, None, None, None),
    ("-", None, BLANK, None, None, None),
    ("/", None, BLANK, None, None, None),
    ("／", None, BLANK, None, None, None),
    ("无", None, BLANK, None, None, None),
    ("N/A", None, BLANK, None, None, None),
    ("　", None, BLANK, None, None, None),
    (" \n ", None, BLANK, None, None, None),
    (float("nan"), None, BLANK, None, None, None),
    (float("inf"), None, BLANK, None, None, None),
    # words, dates, booleans: text, never a number and never an exception
    ("已完成", None, TEXT, None, None, None),
    ("十", None, TEXT, None, None, None),
    ("约95%", None, TEXT, None, None, None),
    ("2021年12月", None, TEXT, None, None, None),
    ("2021年12月底前", None, TEXT, None, None, None),
    ("12/31", None, TEXT, None, None, None),
    ("1.2.3", None, TEXT, None, None, None),
    ("1,83", None, TEXT, None, None, None),
    ("95%～100%", None, TEXT, None, None, None),
    (dt.date(2021, 12, 31), None, TEXT, None, None, None),
    (dt.datetime(2021, 12, 31, 8, 30), "yyyy-mm-dd", TEXT, None, None, None),
    (dt.time(8, 30), None, TEXT, None, None, None),
    (True, None, TEXT, None, None, None),
    (False, "0%", TEXT, None, None, None),
]


@pytest.mark.parametrize("raw, number_format, kind, value, comparator, unit", CASES, ids=[repr(c[0]) + (f"@{c[1]}" if c[1] else "") for c in CASES])
def test_read_value(raw, number_format, kind, value, comparator, unit):
    reading = read_value(raw, number_format)
    assert isinstance(reading, Reading)
    assert (reading.kind, reading.comparator, reading.unit) == (kind, comparator, unit)
    if value is None:
        assert reading.value is None
    else:
        assert reading.value == pytest.approx(value, abs=1e-9)
    assert reading.is_number == (kind == NUMBER)
    assert reading.is_blank == (kind == BLANK)


def test_reading_keeps_raw_and_gives_text():
    assert read_value("≥95%").text == "≥95%"
    assert read_value("９１８").text == "918"
    assert read_value(0.95, "0%").text == "95%"
    assert read_value(True).text == "是"
    assert read_value(dt.date(2021, 12, 31)).text == "2021-12-31"
    assert read_value("已完成").raw == "已完成"


@pytest.mark.parametrize("raw, number_format, fraction", [
    ("95%", None, 0.95), (0.95, "0%", 0.95), ("0.5‰", None, 0.0005), (0.95, None, 0.95), ("918万元", None, 918.0),
])
def test_fraction(raw, number_format, fraction):
    assert read_value(raw, number_format).fraction == pytest.approx(fraction)


def test_fraction_of_blank_is_none():
    assert read_value(None).fraction is None


@pytest.mark.parametrize("value, places, expected", [
    (2.675, 2, 2.68),  # round(2.675, 2) == 2.67 in Python
    (-2.675, 2, -2.68),  # half away from zero, as Excel's ROUND
    (1.005, 2, 1.01),
    (0.125, 2, 0.13),
    (2.5, 0, 3.0),
    (3.5, 0, 4.0),
    (9 / 400 * 10, 2, 0.23),  # 0.22499999999999998 in floating point: 0.225 on paper
    (107 / 400 * 10, 2, 2.68),
    (0.1 + 0.2, 2, 0.3),
    (89.995, 2, 90.0),
    (89.994, 2, 89.99),
    (95.833333, 4, 95.8333),
    (0.95833333, 4, 0.9583),
    (123456789.125, 2, 123456789.13),
    (0, 2, 0.0),
])
def test_round_half_up(value, places, expected):
    assert round_half_up(value, places) == expected


def test_round_half_up_default_places_and_odd_input():
    assert round_half_up(2.675) == 2.68
    assert math.isnan(round_half_up(float("nan")))
    assert round_half_up(float("inf")) == float("inf")


def test_round_half_up_matches_decimal_on_exact_halves():
    # every cent-and-a-half from 0.005 to 99.995: always up
    for thousandths in range(5, 100_000, 10):
        value = thousandths / 1000
        expected = float(Decimal(thousandths + 5) // 10 / 100)
        assert round_half_up(value, 2) == expected, value


@pytest.mark.parametrize("a, b, equal", [
    (9.995, 10, True),  # tolerance 0.005 inclusive
    (10.005, 10, True),
    (9.994, 10, False),
    (10.006, 10, False),
    (99.36, 99.36, True),
    (0.1 + 0.2, 0.3, True),
    (None, 1, False),
    (1, None, False),
    (None, None, False),
])
def test_close(a, b, equal):
    assert close(a, b) is equal


def test_close_custom_tolerance():
    assert close(0.9583, 0.9584, tolerance=0.0001)
    assert not close(0.9583, 0.9585, tolerance=0.0001)


@pytest.mark.parametrize("value, text", [
    (102.0, "102"), (92.5, "92.5"), (9.58, "9.58"), (917.499, "917.5"), (2.675, "2.68"), (0, "0"),
    (-0.001, "0"), (-3.5, "-3.5"), (1835.0, "1835"), (None, "—"),
])
def test_format_number(value, text):
    assert format_number(value) == text


def test_format_number_places():
    assert format_number(95.8333, 4) == "95.8333"
    assert format_number(95.83333, 0) == "96"


@pytest.mark.parametrize("fraction, text", [
    (1.0, "100%"), (0.9999, "99.99%"), (1150 / 1200, "95.83%"), (0.95, "95%"), (1.0417, "104.17%"), (0, "0%"), (None, "—"),
])
def test_format_percent(fraction, text):
    assert format_percent(fraction) == text


def test_clean_and_display_text():
    assert clean_text("　年度\n指标值 ") == "年度指标值"
    assert clean_text("（万元）") == "(万元)"
    assert clean_text(None) == ""
    assert display_text("　益阳智慧大脑+政务服务项目　") == "益阳智慧大脑+政务服务项目"
    assert display_text("第一行\r\n第二行") == "第一行\n第二行"
    assert display_text(92.0) == "92"
    assert display_text(None) == ""
