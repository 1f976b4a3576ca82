"""An SPOA agent written the way haproxyspoa's README shows (PyPI `haproxyspoa` 0.0.1, asyncio):
one handler for the `check-client-ip` message HAProxy configurations commonly send, which
echoes the user agent into `txn.tag`. Exits on its own after --max-seconds.

    python haproxyspoa_agent.py --port 12345 [--max-seconds 60]
"""

import argparse
import os
import threading

from haproxyspoa.payloads.ack import AckPayload
from haproxyspoa.spoa_server import SpoaServer


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=12345)
    p.add_argument("--max-seconds", type=float, default=60)
    a = p.parse_args()
    agent = SpoaServer()

    @agent.handler("check-client-ip")
    async def check_client_ip(**args):
        return AckPayload().set_txn_var("tag", f"ua={args.get('ua', '')}")

    # Bounded: exit on our own after --max-seconds, whatever happens.
    threading.Timer(a.max_seconds, lambda: os._exit(0)).start()
    agent.run(host="127.0.0.1", port=a.port)


if __name__ == "__main__":
    main()
