"""The kept answers of keyed API requests, on both backends: found within their window,
per route, the first one staying, the expired ones forgotten on a write, across a reopen."""

from __future__ import annotations

from orchestrator.store import KeptAnswer, Store

from .conftest import Backend

NOW = 1_700_000_000.0
DAY = 24 * 3600.0
ROUTE = "POST /api/v1/task"


def answer(n: int) -> KeptAnswer:
    return KeptAnswer(fingerprint=f"{n:064x}", status=200,
                      body=f'{{"code":0,"message":"success","data":{{"n":{n},"ü":"✓"}}}}')


async def keep(store: Store, key: str, kept: KeptAnswer, *, at: float,
               route: str = ROUTE) -> None:
    await store.answers.keep_answer(route, key, kept, at=at, forget_before=at - DAY)


def rows(backend: Backend) -> list[tuple[str, str]]:
    with backend.transaction() as cur:
        cur.execute("SELECT route, client_key FROM idempotency_keys ORDER BY created_at")
        return [tuple(row) for row in cur.fetchall()]


async def test_round_trip_across_a_reopen(backend: Backend) -> None:
    """What was kept comes back as it was, also from the store opened anew."""
    async with backend.open_store() as store:
        await keep(store, "k1", answer(1), at=NOW)
    async with backend.open_store() as store:
        assert await store.answers.find_answer(ROUTE, "k1", since=NOW - DAY) == answer(1)


async def test_window_and_route(store: Store) -> None:
    """An answer is found from moments at or before it was kept, for its route and key
    only."""
    await keep(store, "k1", answer(1), at=NOW)
    assert await store.answers.find_answer(ROUTE, "k1", since=NOW) == answer(1)
    assert await store.answers.find_answer(ROUTE, "k1", since=NOW + 0.5) is None
    assert await store.answers.find_answer(ROUTE, "k2", since=NOW - DAY) is None
    assert await store.answers.find_answer("POST /api/v1/accounts", "k1", since=NOW - DAY) is None


async def test_the_first_answer_stays(store: Store) -> None:
    """A second answer for a live key is not kept; the same key on another route is
    another request."""
    await keep(store, "k1", answer(1), at=NOW)
    await keep(store, "k1", answer(2), at=NOW + 1)
    await keep(store, "k1", answer(3), at=NOW + 2, route="POST /api/v1/accounts")
    assert await store.answers.find_answer(ROUTE, "k1", since=NOW - DAY) == answer(1)
    assert await store.answers.find_answer("POST /api/v1/accounts", "k1",
                                   since=NOW - DAY) == answer(3)


async def test_expired_answers_are_forgotten_on_a_write(backend: Backend) -> None:
    """A write forgets every answer kept before its `forget_before`, whatever its key or
    route; an expired key is then free to be kept anew."""
    async with backend.open_store() as store:
        await keep(store, "old", answer(1), at=NOW)
        await keep(store, "old", answer(2), at=NOW + 1,
                   route="POST /api/v1/accounts")
        await keep(store, "young", answer(3), at=NOW + DAY)
        assert len(rows(backend)) == 3  # 24 h old: not yet expired
        await keep(store, "old", answer(4), at=NOW + DAY + 0.5)
        assert rows(backend) == [("POST /api/v1/accounts", "old"), (ROUTE, "young"),
                                 (ROUTE, "old")]
        assert await store.answers.find_answer(ROUTE, "old", since=NOW) == answer(4)
