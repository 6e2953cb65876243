"""Station facts: the YAML file and GET/PUT /api/staff/station-facts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.app import create_app
from assistant.db import upgrade_database
from assistant.settings import PROJECT_ROOT, Settings
from knowledge import station
from tests.utils.staff import login, same_origin_client, staff_users


def test_missing_file_means_no_facts(tmp_path: Path) -> None:
    record = station.load(tmp_path / "station_facts.yml")
    assert record.facts.is_empty() and record.updated_by == ""


def test_the_shipped_file_is_empty() -> None:
    """By default the station has set nothing, so no number can be said."""
    shipped = PROJECT_ROOT / "knowledge" / "corpus" / "station_facts.yml"
    assert station.load(shipped).facts.is_empty()


def test_save_then_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "facts.yml"
    facts = station.StationFacts(
        opening_hours="每天8:00—17:30", hotline="010-6500 1234"
    )
    saved = station.save(path, facts, staff="王")
    loaded = station.load(path)
    assert loaded.facts == facts and loaded.updated_by == "王"
    assert loaded.updated_at == saved.updated_at
    assert [p.name for p in tmp_path.iterdir()] == ["facts.yml"]  # no temp left
    station.save(path, station.StationFacts(), staff="李")  # a change is seen at once
    assert station.load(path).facts.is_empty()


@pytest.mark.parametrize(
    "text", ["opening_hours: [1, 2\n", "menu_of_the_day: 饺子\n", "- a\n- b\n"]
)
def test_a_bad_file_is_an_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "facts.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(station.StationFactsError):
        station.load(path)


@pytest.mark.parametrize("hotline", ["打这个电话", "12", "010-1234<script>"])
def test_hotline_must_be_a_number(hotline: str) -> None:
    with pytest.raises(ValueError):
        station.StationFacts(hotline=hotline)


@pytest.fixture()
def facts_file(tmp_path: Path) -> Path:
    return tmp_path / "station_facts.yml"


@pytest.fixture()
def client(tmp_path: Path, facts_file: Path) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path / 'test.db'}"
    upgrade_database(url)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        staff_users=staff_users(),
        run_workers=False,
        station_facts_file=facts_file,
    )
    with same_origin_client(create_app(settings)) as test_client:
        yield test_client


def test_station_facts_need_login(client: TestClient) -> None:
    assert client.get("/api/staff/station-facts").status_code == 401
    put = client.put("/api/staff/station-facts", json={"hotline": "010-65001234"})
    assert put.status_code == 401


def test_station_facts_round_trip(client: TestClient, facts_file: Path) -> None:
    login(client)
    empty = client.get("/api/staff/station-facts")
    assert empty.status_code == 200
    assert empty.json()["facts"]["opening_hours"] == ""
    assert empty.json()["labels"]["opening_hours"] == "开放时间"
    body = {"opening_hours": " 周一至周五 8:30—17:00 ", "meal_prices": "午饭15元"}
    put = client.put("/api/staff/station-facts", json=body)
    assert put.status_code == 200, put.text
    assert put.json()["updated_by"] == "tester"
    got = client.get("/api/staff/station-facts").json()
    assert got["facts"]["opening_hours"] == "周一至周五 8:30—17:00"
    assert got["facts"]["meal_prices"] == "午饭15元" and got["facts"]["hotline"] == ""
    assert station.load(facts_file).facts.meal_prices == "午饭15元"


@pytest.mark.parametrize(
    "body",
    [
        {"hotline": "找王主任"},
        {"favourite_food": "饺子"},
        {"opening_hours": "长" * 201},
    ],
)
def test_station_facts_validation(
    client: TestClient, facts_file: Path, body: dict[str, str]
) -> None:
    login(client)
    assert client.put("/api/staff/station-facts", json=body).status_code == 422
    assert not facts_file.exists()


def test_station_facts_put_checks_origin(client: TestClient) -> None:
    login(client)
    evil = client.put(
        "/api/staff/station-facts",
        json={"hotline": "010-65001234"},
        headers={"Origin": "https://evil.example"},
    )
    assert evil.status_code == 403
