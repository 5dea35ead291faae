"""A caregiver tells the persona something, and a re-paired tablet keeps what its relative told.

What a caregiver types is kept as theirs: the tablets hear it as news the persona heard
("I heard ...", "听说..."), never as "last time you told me". Only an owner or editor may
type one, or say that a new tablet is the same relative's as an old one.
"""

from __future__ import annotations

import pytest

from tests.server.api.conftest import PERSONA, assert_error, new_household, new_persona
from tests.server.api.test_facts_stay_theirs import facts, greeting, invite, pair, say
from tests.server.api.test_roles import everything

NEWS = "Tom started at the bakery on Monday"


def add(client, headers: dict, persona: dict, **body):
    return client.post(f"/v1/personas/{persona['id']}/facts", json=body, headers=headers)


def audit_actions(client, hh: dict) -> list[dict]:
    return client.get("/v1/audit", headers=hh["headers"]).json()


def test_a_caregivers_fact_is_heard_as_news_never_as_the_relatives_words(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    tablet = pair(client, hh, "Grandma's tablet")
    r = add(client, hh["headers"], persona, text=f"  {NEWS}  ")
    assert r.status_code == 201, r.text
    fact = r.json()
    assert fact["text"] == NEWS and fact["shared"] is True and fact["session_id"] is None
    assert fact["told_by"]["kind"] == "caregiver" and fact["told_by"]["name"] == "ada@example.com"
    assert facts(client, hh, persona) == [fact]
    assert any(e["action"] == "add_fact" and e["target"] == fact["id"] and e["detail"] == "shared=True" for e in audit_actions(client, hh))

    said = greeting(client, tablet["headers"], persona)
    assert "I heard Tom started at the bakery on Monday. How has that been?" in said
    assert "told me" not in said
    # Story mode's hello asks after it the same way.
    answer = say(client, tablet["headers"], persona, "Hello Nana!")
    assert "I heard Tom started at the bakery" in answer and "told me" not in answer
    # A caregiver's own test hears it as well: it is shared.
    assert "I heard Tom" in greeting(client, hh["headers"], persona, test=True)


def test_words_that_are_the_caregivers_own_are_not_said_back(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    tablet = pair(client, hh, "Grandma's tablet")
    # "My" is the caregiver's: turned around it would be the relative's. It is kept but not echoed.
    assert add(client, hh["headers"], persona, text="My brother finally fixed the garden fence").status_code == 201
    said = greeting(client, tablet["headers"], persona)
    assert "fence" not in said and "told me" not in said


def test_an_unshared_caregiver_fact_is_heard_by_no_tablet_until_shared(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    tablet = pair(client, hh, "Grandma's tablet")
    fact = add(client, hh["headers"], persona, text=NEWS, shared=False).json()
    assert fact["shared"] is False
    assert "bakery" not in greeting(client, tablet["headers"], persona)
    assert "bakery" not in greeting(client, hh["headers"], persona, test=True)
    assert client.patch(f"/v1/personas/{persona['id']}/facts/{fact['id']}", json={"shared": True}, headers=hh["headers"]).status_code == 200
    assert "I heard Tom started at the bakery" in greeting(client, tablet["headers"], persona)


def test_in_chinese_a_caregivers_fact_is_heard(client):
    hh = new_household(client)
    r = client.post("/v1/personas", json={**PERSONA, "display_name": "王秀英", "language": "zh"}, headers=hh["headers"])
    persona = r.json()
    from tests.server.api.conftest import CONSENT

    assert client.post(f"/v1/personas/{persona['id']}/consent", json=CONSENT, headers=hh["headers"]).status_code == 201
    tablet = pair(client, hh, "外婆的平板")
    assert add(client, hh["headers"], persona, text="小明下个月去北京读大学").status_code == 201
    said = greeting(client, tablet["headers"], persona)
    assert "听说小明下个月去北京读大学。现在怎么样了？" in said
    assert "上次你跟我说" not in said


def test_a_caregivers_fact_passes_the_safety_check_before_it_is_spoken(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    tablet = pair(client, hh, "Grandma's tablet")
    typed = "Mr Jones needs five hundred pounds sent to his bank account today"
    assert add(client, hh["headers"], persona, text=typed).status_code == 201
    said = greeting(client, tablet["headers"], persona)
    assert "five hundred" not in said and "Jones" not in said
    alerts = client.get("/v1/alerts", headers=hh["headers"]).json()
    assert any(a["kind"] == "blocked_sentence" for a in alerts)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"text": ""},
        {"text": "   \n "},
        {"text": "x" * 4001},
        {"text": NEWS, "shared": "yes"},
        {"text": NEWS, "shared": 1},
        {"text": NEWS, "told_by": "someone"},
        {"text": 5},
    ],
)
def test_a_bad_fact_is_refused_and_changes_nothing(client, data_dir, body):
    hh = new_household(client)
    persona = new_persona(client, hh)
    before = everything(client, data_dir)
    r = add(client, hh["headers"], persona, **body)
    assert_error(r, 422)
    assert everything(client, data_dir) == before


def test_only_an_owner_or_editor_of_the_household_may_type_a_fact(client, data_dir):
    hh = new_household(client)
    persona = new_persona(client, hh)
    tablet = pair(client, hh, "Grandma's tablet")
    viewer = invite(client, hh, "viewer", "viewer@example.com")
    editor = invite(client, hh, "caregiver", "editor@example.com")
    other = new_household(client, "other@example.com")
    before = everything(client, data_dir)
    assert add(client, viewer, persona, text=NEWS).status_code == 403
    assert add(client, tablet["headers"], persona, text=NEWS).status_code == 403
    assert_error(add(client, other["headers"], persona, text=NEWS), 404)
    assert everything(client, data_dir) == before
    r = add(client, editor, persona, text=NEWS)
    assert r.status_code == 201 and r.json()["told_by"]["name"] == "editor@example.com"


# --- a re-paired tablet -------------------------------------------------------------


def move(client, headers: dict, old: str, new: str):
    return client.post(f"/v1/devices/{old}/facts/move-to/{new}", headers=headers)


def test_a_new_tablet_takes_over_what_the_relative_told_the_old_one(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    old, grandpa = pair(client, hh, "Grandma's old tablet"), pair(client, hh, "Grandpa's tablet")
    say(client, old["headers"], persona, "My grandson was born last week!")
    assert "baby" in greeting(client, old["headers"], persona).lower()
    # The old tablet breaks; it is unpaired and a new one paired for the same relative.
    assert client.delete(f"/v1/devices/{old['id']}", headers=hh["headers"]).status_code == 204
    new = pair(client, hh, "Grandma's new tablet")
    assert "baby" not in greeting(client, new["headers"], persona).lower()

    r = move(client, hh["headers"], old["id"], new["id"])
    assert r.status_code == 200, r.text
    assert r.json() == {"from_device_id": old["id"], "to_device_id": new["id"], "moved": 1}
    assert "baby" in greeting(client, new["headers"], persona).lower()
    assert "baby" not in greeting(client, grandpa["headers"], persona).lower()  # still not another's to hear
    [fact] = facts(client, hh, persona)
    assert fact["told_by"] == {"kind": "device", "id": new["id"], "name": "Grandma's new tablet"}
    assert any(
        e["action"] == "move_facts" and e["target"] == old["id"] and f"to={new['id']}" in e["detail"] for e in audit_actions(client, hh)
    )
    # Nothing left to move: a second call moves none.
    assert move(client, hh["headers"], old["id"], new["id"]).json()["moved"] == 0


def test_moving_facts_is_for_an_owner_or_editor_of_the_household_only(client, data_dir):
    hh = new_household(client)
    persona = new_persona(client, hh)
    old, new = pair(client, hh, "Old tablet"), pair(client, hh, "New tablet")
    say(client, old["headers"], persona, "My grandson was born last week!")
    viewer = invite(client, hh, "viewer", "viewer@example.com")
    other = new_household(client, "other@example.com")
    theirs = pair(client, other, "Their tablet")
    unpaired = pair(client, hh, "Given away")
    assert client.delete(f"/v1/devices/{unpaired['id']}", headers=hh["headers"]).status_code == 204

    before = everything(client, data_dir)
    assert_error(move(client, viewer, old["id"], new["id"]), 403)
    assert_error(move(client, new["headers"], old["id"], new["id"]), 403)  # a tablet cannot claim another's words
    assert_error(move(client, other["headers"], old["id"], new["id"]), 404)
    assert_error(move(client, other["headers"], old["id"], theirs["id"]), 404)
    assert_error(move(client, hh["headers"], old["id"], theirs["id"]), 404)  # into another household: never
    assert_error(move(client, hh["headers"], "dev_nope", new["id"]), 404)
    assert_error(move(client, hh["headers"], old["id"], unpaired["id"]), 404)  # nobody would hear them there
    assert_error(move(client, hh["headers"], old["id"], old["id"]), 422)
    assert everything(client, data_dir) == before

    editor = invite(client, hh, "caregiver", "editor@example.com")
    assert move(client, editor, old["id"], new["id"]).json()["moved"] == 1
