"""The emulator's seed and state files: validation with clear errors, JSON round trips, big accounts."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from sync.sip2.emulator_data import EmulatorDataError, data_to_dict, load_data, parse_data, save_data
from tests.sync.sip2.conftest import ANNA, BOOK, EmulatorFactory, SipClient, checkout, patron_info

REPO = Path(__file__).resolve().parents[3]


def big_account(loans: int = 300) -> dict[str, object]:
    """A seed with one patron who has ``loans`` items on loan."""
    items = [{"id": f"4{n:09d}", "title": f"Bind {n} – æøå", "media_type": "book"} for n in range(loans)]
    return {
        "library": {"institution": "DK-775100"},
        "patrons": [{"id": "2000000099", "pin": "9999", "name": "Storlåner, Åge",
                     "loans": [{"item": item["id"], "due": f"2099-01-{1 + n % 28:02d}"}
                               for n, item in enumerate(items)]}],
        "items": items,
    }


@pytest.mark.parametrize(("text", "message"), [
    ('[[items]]\ntitle = "x"\n', "lms.toml: items[0].id: missing"),
    ('[[patrons]]\nid = "1"\npin = 1234\n', "lms.toml: patrons[0].pin: expected a string, got int"),
    ('[[patrons]]\nid = "1"\nfees = 3.5\n', "lms.toml: patrons[0].fees: expected a decimal string"),
    ('[[patrons]]\nid = "1"\ncolour = "red"\n', "lms.toml: patrons[0].colour: unknown key"),
    ('[rules]\nloan_days = "28"\n', "lms.toml: rules.loan_days: expected int, got str"),
    ('[rules]\nloan_days = true\n', "lms.toml: rules.loan_days: expected int, got bool"),
    ('[[items]]\nid = "1"\nstatus = "stolen"\n', "lms.toml: items[0].status: unknown status 'stolen'"),
    ('[[items]]\nid = "1"\nholds = ["nobody"]\n', "lms.toml: items[0].holds: unknown patron 'nobody'"),
    ('[[patrons]]\nid = "1"\nloans = [{item = "nothing", due = 2026-01-01}]\n',
     "lms.toml: patrons[0].loans[0].item: unknown item 'nothing'"),
    ('[[patrons]]\nid = "1"\nlanguage = "klingon"\n', "lms.toml: patrons[0].language: unknown language"),
    ('[[items]]\nid = "1"\n[[items]]\nid = "1"\n', "lms.toml: items[1].id: duplicate item id '1'"),
    ("[library\n", "lms.toml: not valid TOML"),
])
def test_bad_seed_data_names_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "lms.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EmulatorDataError) as error:
        load_data(path)
    assert message in str(error.value)
    assert isinstance(error.value, ValueError)


def test_an_unknown_suffix_or_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(EmulatorDataError, match="not found"):
        load_data(tmp_path / "none.toml")
    (tmp_path / "lms.yaml").write_text("x: 1", encoding="utf-8")
    with pytest.raises(EmulatorDataError, match="unknown format"):
        load_data(tmp_path / "lms.yaml")


def test_a_json_seed_reads_like_toml(tmp_path: Path) -> None:
    path = tmp_path / "lms.json"
    path.write_text(json.dumps({"patrons": [{"id": "1", "pin": "1", "birth_date": "2013-08-20",
                                             "fees": "12,50", "language": "eng"}]}), encoding="utf-8")
    patron = load_data(path).patrons["1"]
    assert (patron.birth_date and patron.birth_date.year, patron.fee_total, patron.language) == (
        2013, Decimal("12.50"), "001")


def test_the_demo_seed_loads_with_its_special_cases() -> None:
    data = load_data(REPO / "config" / "demo" / "lms.toml")
    assert data.library.currency == "DKK"
    items = data.items.values()
    assert any(i.parts_in_set == 3 for i in items)
    assert any(i.owner != data.library.location for i in items)
    assert any(i.holds for i in items)
    assert any(i.fee for i in items)
    patrons = data.patrons.values()
    assert any(p.fee_total > data.rules.fee_limit and not p.blocked for p in patrons)
    assert any(not p.unstaffed_access for p in patrons)
    assert any(p.birth_date and p.birth_date.year == 2013 for p in patrons)


def test_state_round_trips_through_json(seed_file: Path, tmp_path: Path) -> None:
    data = load_data(seed_file)
    save_data(data, tmp_path / "state.json")
    again = load_data(tmp_path / "state.json")
    assert data_to_dict(again) == data_to_dict(data)
    assert [p.name for p in again.patrons.values()] == [p.name for p in data.patrons.values()]


def test_a_300_item_account_is_paginated_with_bp_and_bq(make_emulator: EmulatorFactory,
                                                       connect: type[SipClient]) -> None:
    server = make_emulator(parse_data(big_account(), "big.json"))
    client = connect(server)
    client.login()
    everything = client.request(patron_info("2000000099", "  Y"))
    assert everything.fixed["charged_items_count"] == "0300"
    assert len(everything.getall("AU")) == 300
    page = client.request(patron_info("2000000099", "  Y", start="11", end="20"))
    assert page.getall("AU") == everything.getall("AU")[10:20]
    tail = client.request(patron_info("2000000099", "  Y", start="295", end="400"))
    assert tail.getall("AU") == everything.getall("AU")[294:]
    assert client.request(patron_info("2000000099", "  Y", start="5", end="4")).getall("AU") == []


def test_a_300_item_account_survives_the_state_file(make_emulator: EmulatorFactory, connect: type[SipClient],
                                                    tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    server = make_emulator(parse_data(big_account(), "big.json"), state_path=state)
    client = connect(server)
    client.login()
    assert client.request(checkout(ANNA, BOOK)).fixed["ok"] == "0"  # no such patron here
    save_data(server.data, state)
    reloaded = load_data(state)
    assert len(reloaded.loans_of("2000000099")) == 300
