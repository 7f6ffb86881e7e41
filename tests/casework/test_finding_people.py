"""Finding an Akte by the person's name as a caseworker types it on a German keyboard:
"Yilmaz" finds Yılmaz, "Mueller" Müller, "Lukasz" Łukasz; never an Akte the caseworker
may not read. The Akten filter of the API and of the start page alike."""

from __future__ import annotations

import pytest

from akte.case_files.names import fold_name
from tests.builders import unique
from tests.web.conftest import browser, login


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Yilmaz", "Ayşe Yılmaz"),
        ("Mueller", "Jürgen Müller"),
        ("Muller", "Müller"),
        ("Strasse", "Anna Straße"),
        ("Lukasz", "Łukasz Wiśniewski"),
        ("Sahin", "Şahin"),
        ("Mohamed", "Mohammed Ali"),
        ("Ilknur", "İlknur Kaya"),
        ("Goetz", "Götz"),
        ("Zolkiewski", "Żółkiewski"),
        ("Youssef", "Yousef"),
        ("Cakir", "Çakır"),
    ],
)
def test_the_spellings_of_one_name_fold_together(typed, stored):
    assert fold_name(typed) in fold_name(stored)


def test_unrelated_names_stay_apart():
    assert fold_name("Meier") not in fold_name("Müller")
    assert fold_name("Yilmaz") not in fold_name("Yıldız")


def _akte(client, world, who: str, unit, name: str) -> str:
    r = client.post(
        "/api/v1/case-files",
        headers=world.headers[who],
        json={"aktenzeichen": unique("AZ-2025"), "org_unit_id": str(unit.id), "person_name": name},
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_the_akten_filter_folds_names_and_keeps_to_what_one_may_read(client, world, ctx):
    tag = unique("x")[-6:].replace("-", "")
    surname = f"Yılmaz{tag}"
    mine = _akte(client, world, "caseworker_a1", world.unit_a1, f"Ayşe {surname}")
    muller = _akte(client, world, "caseworker_a1", world.unit_a1, f"Jürgen Müller{tag}")
    foreign = _akte(client, world, "caseworker_b", world.unit_b1, f"Ayşe {surname}")
    cw = world.headers["caseworker_a1"]

    def found(q: str) -> set[str]:
        r = client.get("/api/v1/case-files", params={"q": q}, headers=cw)
        assert r.status_code == 200, r.text
        return {item["id"] for item in r.json()["items"]}

    assert found(f"Yilmaz{tag}") == {mine}
    assert found(f"ayse yilmaz{tag}") == {mine}
    assert found(f"Mueller{tag}") == {muller}
    assert foreign not in found(f"Yilmaz{tag}")
    # the renaming keeps the folded name in step
    r = client.patch(
        f"/api/v1/case-files/{muller}", headers=cw, json={"person_name": f"Jürgen Schäfer{tag}"}
    )
    assert r.status_code == 200, r.text
    assert found(f"Mueller{tag}") == set() and found(f"Schaefer{tag}") == {muller}
    # the start page's filter is the same query
    web = browser(ctx)
    login(web, world.users["caseworker_a1"].username)
    page = web.get("/app", params={"q": f"Yilmaz{tag}"})
    assert page.status_code == 200 and f"/app/akten/{mine}" in page.text
    assert f"/app/akten/{foreign}" not in page.text
