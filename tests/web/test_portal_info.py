"""Impressum, Datenschutz and Barrierefreiheit in the portal: the tenant admin's texts,
linked from every portal page, shown to the citizens of that tenant only."""

from __future__ import annotations

from akte.web import i18n
from akte.web.portal_pages import SCHLICHTUNGSSTELLE
from tests.web.conftest import browser, issue_code
from tests.web.test_codes import enter
from tests.web.test_security import principal

IMPRESSUM = (
    "Jobcenter Musterstadt\n\nAm Rathaus 1, 12345 Musterstadt\n\nVertreten durch: A. Leitung"
)


def test_the_tenant_admin_sets_the_texts_and_only_its_citizens_see_them(ctx, client, world):
    admin = world.headers["admin_a"]
    r = client.patch(
        "/api/v1/tenants/current/options",
        headers=admin,
        json={
            "portal_impressum": IMPRESSUM,
            "portal_contact": "Telefon 0800 123456, Mo–Fr 8–16 Uhr",
        },
    )
    assert r.status_code == 200, r.text
    too_long = client.patch(
        "/api/v1/tenants/current/options", headers=admin, json={"portal_privacy": "x" * 20_001}
    )
    assert too_long.status_code == 422
    # a caseworker may not change them
    assert (
        client.patch(
            "/api/v1/tenants/current/options",
            json={"portal_privacy": "y"},
            headers=world.headers["caseworker_a1"],
        ).status_code
        == 403
    )

    code_a = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    code_b = issue_code(ctx, principal(ctx, world.users["caseworker_b"]), world.case_b1.id)
    with browser(ctx) as nobody, browser(ctx) as citizen_a, browser(ctx) as citizen_b:
        # several tenants and no code yet: which office is unknown
        start = nobody.get("/upload?lang=de")
        for link in (
            "/upload/info/impressum",
            "/upload/info/datenschutz",
            "/upload/info/barrierefreiheit",
        ):
            assert f'href="{link}"' in start.text
        page = nobody.get("/upload/info/impressum?lang=de")
        assert page.status_code == 200 and "<title>Impressum" in page.text
        assert "nachdem Sie Ihren Code eingegeben haben" in page.text
        assert "Am Rathaus 1" not in page.text

        assert enter(citizen_a, code_a).status_code == 303
        page = citizen_a.get("/upload/info/impressum?lang=ar")
        assert 'dir="rtl"' in page.text and "<p>Am Rathaus 1, 12345 Musterstadt</p>" in page.text
        assert '<div lang="de" dir="ltr">' in page.text  # German text inside the Arabic page
        assert "Telefon 0800 123456" in page.text

        assert enter(citizen_b, code_b).status_code == 303
        page = citizen_b.get("/upload/info/impressum?lang=de")
        assert "noch nicht hinterlegt" in page.text and "Am Rathaus 1" not in page.text
        assert "0800 123456" not in page.text
        assert citizen_b.get("/upload/info/gibtsnicht").status_code == 404


def test_the_accessibility_page_names_the_schlichtungsstelle_in_every_language(ctx):
    with browser(ctx) as citizen:
        for lang in i18n.LANGUAGES:
            page = citizen.get(f"/upload/info/barrierefreiheit?lang={lang}")
            assert page.status_code == 200
            assert i18n.TEXTS[lang]["schlichtung"] in page.text
            assert SCHLICHTUNGSSTELLE in page.text
            assert f"<title>{i18n.TEXTS[lang]['page_accessibility']}" in page.text
