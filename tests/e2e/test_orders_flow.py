"""A customer's order from catalog to cancellation, over HTTP, on PostgreSQL and in memory."""

from __future__ import annotations

import re

import httpx

from tests.e2e.wire import assert_problem, instant, order, product

ORDER_NUMBER = re.compile(r"^TSR-\d{8}-\d{4}$")


async def test_product_is_created_read_listed_and_updated(any_api: httpx.AsyncClient) -> None:
    created = await any_api.post("/v1/products", json=product("full-festival-2026", unit_amount=15000, capacity=500,
                                                              metadata={"stage": "main"}))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body | {"id": None, "created_at": None, "updated_at": None} == {
        "id": None, "sku": "full-festival-2026", "name": "Full Festival 2026", "kind": "day_pass",
        "unit_amount": 15000, "currency": "USD", "capacity": 500, "sold": 0, "available": 500, "active": True,
        "metadata": {"stage": "main"}, "created_at": None, "updated_at": None,
    }
    instant(body["created_at"])

    assert (await any_api.get("/v1/products/full-festival-2026")).json() == body
    listed = (await any_api.get("/v1/products")).json()
    assert listed == {"data": [body], "next_cursor": None}

    patched = await any_api.patch("/v1/products/full-festival-2026", json={"name": "Festival pass", "capacity": None})
    assert patched.status_code == 200, patched.text
    assert patched.json() | {"updated_at": None} == body | {"name": "Festival pass", "capacity": None,
                                                             "available": None, "updated_at": None}

    assert_problem(await any_api.post("/v1/products", json=product("full-festival-2026")), 409, "already_exists")
    assert_problem(await any_api.get("/v1/products/nope"), 404, "not_found")


async def test_order_walk_place_read_search_cancel(any_api: httpx.AsyncClient) -> None:
    await any_api.post("/v1/products", json=product("full-festival-2026", unit_amount=15000, capacity=500))

    placed = await any_api.post("/v1/orders", json=order(
        ("full-festival-2026", 2),
        email="  Ana@Example.com ",
        event={"id": "fest-2026", "name": "Festival 2026", "date": "2026-05-15"},
        metadata={"source": "e2e"},
    ))
    assert placed.status_code == 201, placed.text
    placed_order = placed.json()
    assert ORDER_NUMBER.match(placed_order["number"]), placed_order["number"]
    assert placed_order["status"] == "pending"
    assert (placed_order["currency"], placed_order["subtotal"], placed_order["total"]) == ("USD", 30000, 30000)
    assert (placed_order["amount_paid"], placed_order["amount_refunded"]) == (0, 0)
    assert placed_order["items"] == [{"sku": "full-festival-2026", "name": "Full Festival 2026", "kind": "day_pass",
                                      "quantity": 2, "unit_amount": 15000, "total": 30000, "attendee": None}]
    assert placed_order["customer"] | {"id": None} == {"id": None, "email": "ana@example.com", "first_name": "Ana",
                                                       "last_name": None, "phone": None}
    assert placed_order["event"] == {"id": "fest-2026", "name": "Festival 2026", "date": "2026-05-15"}
    assert placed_order["metadata"] == {"source": "e2e"}
    assert instant(placed_order["expires_at"]) > instant(placed_order["created_at"])
    assert (placed_order["payments"], placed_order["refunds"]) == ([], [])

    fetched = await any_api.get(f"/v1/orders/{placed_order['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == placed_order

    stock = (await any_api.get("/v1/products/full-festival-2026")).json()
    assert (stock["sold"], stock["available"]) == (2, 498)

    cancelled = await any_api.post(f"/v1/orders/{placed_order['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    stock = (await any_api.get("/v1/products/full-festival-2026")).json()
    assert (stock["sold"], stock["available"]) == (0, 500)

    problem = assert_problem(await any_api.post(f"/v1/orders/{placed_order['id']}/cancel"), 409, "invalid_state")
    assert placed_order["number"] in problem["detail"]
    assert (await any_api.get(f"/v1/orders/{placed_order['id']}")).json()["status"] == "cancelled"


async def test_order_search_filters_and_pages_newest_first(any_api: httpx.AsyncClient) -> None:
    await any_api.post("/v1/products", json=product("day-pass"))
    placed = []
    for i in range(5):
        response = await any_api.post("/v1/orders", json=order(
            ("day-pass", 1), email=f"buyer{i % 2}@example.com", event={"id": f"event-{i % 3}"}))
        assert response.status_code == 201, response.text
        placed.append(response.json())
    await any_api.post(f"/v1/orders/{placed[0]['id']}/cancel")
    newest_first = [o["id"] for o in reversed(placed)]

    async def ids(**params: object) -> list[str]:
        response = await any_api.get("/v1/orders", params=params)
        assert response.status_code == 200, response.text
        return [o["id"] for o in response.json()["data"]]

    assert await ids() == newest_first
    assert await ids(email="BUYER1@example.com") == [placed[3]["id"], placed[1]["id"]]
    assert await ids(status="cancelled") == [placed[0]["id"]]
    assert await ids(status="pending", email="buyer0@example.com") == [placed[4]["id"], placed[2]["id"]]
    assert await ids(event_id="event-1") == [placed[4]["id"], placed[1]["id"]]
    assert await ids(created_from=placed[2]["created_at"], created_to=placed[4]["created_at"]) == [
        placed[3]["id"], placed[2]["id"]]

    pages, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await any_api.get("/v1/orders", params=params)).json()
        pages.append([o["id"] for o in page["data"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sum(pages, []) == newest_first

    assert_problem(await any_api.get("/v1/orders", params={"limit": 101}), 400, "invalid_request")
    assert_problem(await any_api.get("/v1/orders", params={"status": "lost"}), 400, "invalid_request")
    assert_problem(await any_api.get("/v1/orders", params={"cursor": "not-a-cursor"}), 400, "invalid_request")
    assert_problem(await any_api.get("/v1/orders", params={"created_from": "yesterday"}), 400, "invalid_request")


async def test_unknown_and_malformed_order_ids(any_api: httpx.AsyncClient) -> None:
    assert_problem(await any_api.get("/v1/orders/0190d9a0-0000-7000-8000-000000000000"), 404, "not_found")
    assert_problem(await any_api.post("/v1/orders/0190d9a0-0000-7000-8000-000000000000/cancel"), 404, "not_found")
    problem = assert_problem(await any_api.get("/v1/orders/not-a-uuid"), 400, "invalid_request")
    assert problem["errors"][0]["field"] == "order_id"
