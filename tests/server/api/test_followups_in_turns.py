"""A follow-up in a real turn goes on with the story the persona just told; a request is declined."""

from server.storage import memory_admin
from server.storage.memory_admin import NewMemory
from tests.server.api.conftest import events, new_household, new_persona
from tests.server.api.test_sessions import start

CANAL = (
    "We lived in a narrow house by the canal. My father kept pigeons on the roof. "
    "Every evening he whistled them home. My mother counted them from the kitchen window. "
    "One winter the canal froze solid. We skated all the way to the lock."
)
MILL = "At fourteen I went to work at the woollen mill. The noise was so loud we talked with our hands."


def _said(client, session, hh, text: str) -> str:
    evs = events(client.post(f"/v1/sessions/{session['id']}/turns", json={"text": text}, headers=hh["headers"]))
    return " ".join(e["text"] for e in evs if e["type"] == "sentence")


def test_what_happened_next_goes_on_with_the_memoir(client):
    hh = new_household(client)
    persona = new_persona(client, hh, memories=False)
    state = client.app.state.keepsake
    memory_admin.insert_all(
        state.db,
        hh["id"],
        persona["id"],
        None,
        [
            NewMemory(text=CANAL, title="Childhood", source="memoir"),
            NewMemory(text=MILL, title="Work", source="memoir"),
        ],
    )
    session = start(client, hh, persona)
    first = _said(client, session, hh, "Tell me about the canal")
    assert "narrow house by the canal" in first and "skated" not in first
    second = _said(client, session, hh, "What happened next?")
    assert "We skated all the way to the lock" in second
    third = _said(client, session, hh, "And then?")
    assert "woollen mill" in third


def test_money_asked_for_in_a_turn_is_declined_without_a_memory(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    session = start(client, hh, persona)
    said = _said(client, session, hh, "Can you lend me some money?")
    assert "family" in said.lower()
    facts = client.get(f"/v1/personas/{persona['id']}/facts", headers=hh["headers"]).json()
    assert facts == []
