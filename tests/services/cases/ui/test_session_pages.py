"""Sign-in, the one-time password and sign-out, through the pages and the real sign-in service."""

from ombuds_cases.staff.auth import SESSION_COOKIE
from ombuds_cases.staff.policy import Office, Role
from support.portal import read_page

from .conftest import NEW_PASSWORD, Browser, SeedStaff, SignIn, csrf_of, post_form


async def test_the_sign_in_page_labels_every_field_and_carries_a_csrf_token(
    new_browser: Browser,
) -> None:
    response = await new_browser().get("/staff/sign-in")
    assert response.status_code == 200
    page = read_page(response.text)
    assert page.visible_names() == {"email", "password", "code"}
    for name in ("email", "password", "code"):
        control = page.control(name)
        assert f'for="{control.id}"' in response.text, name
    assert page.hidden()["csrf_token"]
    assert "<title>Sign in | Ombuds staff</title>" in response.text
    assert 'href="#main-content"' in response.text


async def test_a_post_without_the_csrf_token_is_refused_and_signs_no_one_in(
    new_browser: Browser, seed_staff: SeedStaff
) -> None:
    staffer = await seed_staff(Role.SUPERVISOR)
    client = new_browser()
    await client.get("/staff/sign-in")
    response = await client.post(
        "/staff/sign-in",
        data={"email": staffer.email, "password": staffer.password, "code": staffer.code()},
    )
    assert response.status_code == 403
    assert "could not be verified" in response.text
    assert SESSION_COOKIE not in client.cookies


async def test_wrong_code_and_malformed_code_show_an_error_summary_linking_the_field(
    new_browser: Browser, seed_staff: SeedStaff
) -> None:
    staffer = await seed_staff(Role.SUPERVISOR)
    client = new_browser()
    wrong = await post_form(
        client,
        "/staff/sign-in",
        "/staff/sign-in",
        {"email": staffer.email, "password": "not the password", "code": staffer.code()},
    )
    assert wrong.status_code == 422
    assert read_page(wrong.text).summary_links == ["#sign-in-email"]
    assert "The email, password or code is not right." in wrong.text
    assert wrong.text.count("<title>Error: Sign in") == 1
    malformed = await post_form(
        client,
        "/staff/sign-in",
        "/staff/sign-in",
        {"email": staffer.email, "password": staffer.password, "code": "12ab"},
    )
    assert malformed.status_code == 422
    assert read_page(malformed.text).summary_links == ["#sign-in-code"]
    assert "code: String should match pattern" in malformed.text


async def test_signing_in_opens_the_queue_and_signing_out_ends_the_session(
    signed_in: SignIn, seed_staff: SeedStaff
) -> None:
    staffer = await seed_staff(Role.CASE_OFFICER, Office.TRADE)
    client = await signed_in(staffer)
    queue = await client.get("/staff/cases")
    assert queue.status_code == 200
    assert "Case queue" in queue.text
    assert f"Sign out {staffer.name}" in queue.text
    out = await client.post("/staff/sign-out", data={"csrf_token": csrf_of(queue.text)})
    assert out.status_code == 303
    assert out.headers["location"] == "/staff/sign-in?signed_out=1"
    # The old cookie is dead on the server, not just forgotten by this browser.
    client.cookies.set(SESSION_COOKIE, "stolen-but-revoked", domain="cases")
    again = await client.get("/staff/cases")
    assert again.status_code == 303
    assert again.headers["location"] == "/staff/sign-in"


async def test_without_a_session_every_page_sends_the_browser_to_sign_in(
    new_browser: Browser,
) -> None:
    client = new_browser()
    for path in ("/staff/cases", "/staff/audit", "/staff/accounts", "/staff/password"):
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/staff/sign-in"


async def test_a_one_time_password_must_be_replaced_before_any_case_page(
    new_browser: Browser, seed_staff: SeedStaff
) -> None:
    staffer = await seed_staff(Role.SUPERVISOR, password_changed=False)
    client = new_browser()
    signed = await post_form(
        client,
        "/staff/sign-in",
        "/staff/sign-in",
        {"email": staffer.email, "password": staffer.password, "code": staffer.code()},
    )
    assert signed.headers["location"] == "/staff/password"
    blocked = await client.get("/staff/cases")
    assert blocked.headers["location"] == "/staff/password"
    too_short = await post_form(
        client,
        "/staff/password",
        "/staff/password",
        {"current_password": staffer.password, "new_password": "short"},
    )
    assert too_short.status_code == 422
    assert read_page(too_short.text).summary_links == ["#password-new-password"]
    assert "new password: String should have at least 12 characters" in too_short.text
    wrong = await post_form(
        client,
        "/staff/password",
        "/staff/password",
        {"current_password": "not it at all", "new_password": NEW_PASSWORD},
    )
    assert read_page(wrong.text).summary_links == ["#password-current-password"]
    changed = await post_form(
        client,
        "/staff/password",
        "/staff/password",
        {"current_password": staffer.password, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 303
    queue = await client.get(changed.headers["location"])
    assert queue.status_code == 200
    assert "Your password has been changed." in queue.text


async def test_an_account_without_privacy_training_cannot_sign_in_and_is_told_why(
    new_browser: Browser, seed_staff: SeedStaff
) -> None:
    staffer = await seed_staff(Role.SUPERVISOR, trained=False)
    response = await post_form(
        new_browser(),
        "/staff/sign-in",
        "/staff/sign-in",
        {"email": staffer.email, "password": staffer.password, "code": staffer.code()},
    )
    assert response.status_code == 422
    assert "No privacy-training attestation is recorded" in response.text
