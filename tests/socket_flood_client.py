"""A hostile room client, run as its own process by ``tests/test_socket_flood.py``:

    python -m tests.socket_flood_client WS_URL HOST_TOKEN LISTENER_TOKEN LISTENER_ID

It opens the listener's socket (and drains it), then floods the host's socket with
``ice_candidate`` frames addressed to the listener as fast as it can; when the server closes the
host's socket it reconnects after RECONNECT_DELAY seconds (a client's usual retry; sooner only
makes it a connection flood) and floods again, until it gets SIGTERM (or after 120 s). It
prints ``flooding`` when the first flood starts and, at the end, one JSON line of counts.
"""

from __future__ import annotations

import asyncio
import collections
import json
import signal
import sys

import websockets

RECONNECT_DELAY = 0.5


async def main(url: str, host_token: str, listener_token: str, listener_id: int) -> None:
    counts: collections.Counter[str] = collections.Counter()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.call_later(120, stop.set)

    async def drain(ws, prefix: str) -> None:
        try:
            async for raw in ws:
                frame = json.loads(raw)
                counts[f"{prefix}{frame['type']}:{frame.get('code', '')}".rstrip(":")] += 1
        except websockets.ConnectionClosed:
            pass

    listener = await websockets.connect(url, subprotocols=["bearer", listener_token], max_queue=None)
    listener_reader = asyncio.create_task(drain(listener, "listener_got_"))
    frame = json.dumps(
        {
            "type": "ice_candidate",
            "to": listener_id,
            "candidate": {"candidate": "candidate:1 1 UDP 1 10.0.0.1 9 typ host"},
        }
    )
    announced = False
    while not stop.is_set():
        try:
            host = await websockets.connect(url, subprotocols=["bearer", host_token], max_queue=None)
        except Exception:
            counts["connect_failed"] += 1
            await asyncio.sleep(0.05)
            continue
        counts["connections"] += 1
        reader = asyncio.create_task(drain(host, "host_got_"))
        if not announced:
            print("flooding", flush=True)
            announced = True
        try:
            while not stop.is_set():
                await host.send(frame)
                counts["sent"] += 1
                if counts["sent"] % 100 == 0:
                    await asyncio.sleep(0)  # let the readers run
        except websockets.ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd else None
            counts[f"closed_{code}"] += 1
        await host.close()
        await reader
        await asyncio.sleep(RECONNECT_DELAY)
    await listener.close()
    await listener_reader
    print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
