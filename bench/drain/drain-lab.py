#!/usr/bin/env python3
"""Drain lab (issue 12): reconnects per second on the remaining node while a node with 1,000 clients drains.

Usage: python3 bench/drain/drain-lab.py herald-server/target/herald.jar [--clients 1000] [--delay 5] [--window 10]
       [--label NAME]   (needs redis-server; picks free ports)

Starts redis-server and two Herald nodes A and B on it, opens CLIENTS subscribers on A (half WebSocket, half SSE,
raw sockets, asyncio), publishes 20 msg/s on B, sends SIGTERM to A, and acts as a load balancer that has taken A out:
a client whose connection ends (WebSocket close 1001 with {"retryAfterMillis":N}, SSE herald.end with retryAfterMillis,
or any other end) waits the hint (or 2 s, the SSE retry, when none came) and resubscribes on B from its cursor.
Prints when /ready on A flipped, when each connection on A ended, the reconnects on B per second (peak and
histogram), when A exited, and whether every client got every message once (by offset). --delay 0 --window 0 is the
old behaviour: every connection closed at once."""
import argparse, asyncio, base64, json, os, random, signal, socket, subprocess, sys, tempfile, time, urllib.request

p = argparse.ArgumentParser()
p.add_argument("jar"); p.add_argument("--clients", type=int, default=1000)
p.add_argument("--delay", type=int, default=5); p.add_argument("--window", type=int, default=10)
p.add_argument("--label", default="")
args = p.parse_args()

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port

RP, PA, PB = free_port(), free_port(), free_port()
CH = "drainlab%d" % random.randrange(10**9)
tmp = tempfile.mkdtemp(prefix="drain-lab-")
redis = subprocess.Popen(["redis-server", "--port", str(RP), "--save", "", "--appendonly", "no", "--dir", tmp],
                         stdout=subprocess.DEVNULL)
def node(port, name):
    return subprocess.Popen(["java", "-Xmx512m", "-jar", args.jar, "serve", "--port", str(port),
                             "--broker", "redis://127.0.0.1:%d" % RP, "--history-size", "100000",
                             "--drain-delay-seconds", str(args.delay), "--drain-window-seconds", str(args.window),
                             "--shutdown-seconds", "5"],
                            stdout=open(os.path.join(tmp, name + ".log"), "w"), stderr=subprocess.STDOUT)
A, B = node(PA, "a"), node(PB, "b")

def status(port, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except Exception:
        return -1

deadline = time.time() + 60
while time.time() < deadline and not (status(PA, "/ready") == 200 and status(PB, "/ready") == 200):
    time.sleep(0.2)

published = []          # offsets published
ends = []               # (t, kind, hinted) connection ended on A
reconnects = []         # t a client was subscribed again on B
lost = {"clients": 0}

class Client:
    def __init__(self, i, kind):
        self.i, self.kind, self.cursor, self.offsets = i, kind, None, []

    def got(self, env):
        self.offsets.append(env["offset"])
        self.cursor = "%s:%d" % (env["epoch"], env["offset"])

    async def run(self, t_sigterm):
        port, first = PA, True
        while True:
            hint = await (self.ws(port, first) if self.kind == "ws" else self.sse(port, first))
            if port == PB or stop.is_set():
                return
            ends.append((time.time(), self.kind, hint is not None))
            await asyncio.sleep((hint if hint is not None else 2000) / 1000.0)
            port, first = PB, False

    async def ws(self, port, first):
        r, w = await asyncio.open_connection("127.0.0.1", port)
        q = "?since=" + self.cursor if self.cursor else ""
        key = base64.b64encode(os.urandom(16)).decode()
        w.write(("GET /channels/%s%s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (CH, q, key)).encode())
        head = await r.readuntil(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n")[0]:
            w.close(); return None
        try:
            while True:
                b0, b1 = await r.readexactly(2)
                n = b1 & 0x7F
                if n == 126: n = int.from_bytes(await r.readexactly(2), "big")
                elif n == 127: n = int.from_bytes(await r.readexactly(8), "big")
                payload = await r.readexactly(n)
                op = b0 & 0x0F
                if op == 1:
                    f = json.loads(payload)
                    if f.get("type") == "subscribed":
                        if not first: reconnects.append(time.time())
                        if f.get("position") and not self.cursor: self.cursor = f["position"]
                    elif f.get("type") == "message":
                        self.got(f)
                elif op == 9:  # ping: answer with a masked pong
                    mask = os.urandom(4)
                    w.write(bytes([0x8A, 0x80 | len(payload)]) + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload)))
                elif op == 8:
                    reason = payload[2:].decode(errors="replace")
                    try:
                        return json.loads(reason)["retryAfterMillis"]
                    except Exception:
                        return None
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        finally:
            w.close()

    async def sse(self, port, first):
        r, w = await asyncio.open_connection("127.0.0.1", port)
        q = "?since=" + self.cursor if self.cursor else ""
        w.write(("GET /channels/%s%s HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n" % (CH, q)).encode())
        event, hint = None, None
        try:
            while True:
                line = (await r.readline())
                if not line: return hint
                line = line.decode().rstrip("\r\n")
                if line.startswith("event: "): event = line[7:]
                elif line.startswith("data: "):
                    d = json.loads(line[6:])
                    if event == "herald.subscribed":
                        if not first: reconnects.append(time.time())
                        if not self.cursor: self.cursor = d["cursor"]
                    elif event == "herald.end":
                        hint = d.get("retryAfterMillis")
                    elif event is None:
                        self.got(d)
                    event = None
        except (ConnectionError, ValueError):
            return hint
        finally:
            w.close()

stop = asyncio.Event()

async def publisher():
    loop = asyncio.get_running_loop()
    def pub():
        req = urllib.request.Request("http://127.0.0.1:%d/channels/%s" % (PB, CH), data=b"x",
                                     headers={"Content-Type": "text/plain"}, method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())["offset"]
    while not stop.is_set():
        published.append(await loop.run_in_executor(None, pub))
        await asyncio.sleep(0.05)

async def main():
    clients = [Client(i, "ws" if i % 2 == 0 else "sse") for i in range(args.clients)]
    tasks = []
    for c in clients:
        tasks.append(asyncio.create_task(c.run(None)))
        if len(tasks) % 100 == 0: await asyncio.sleep(0.05)
    while sum(1 for c in clients if c.cursor) < len(clients):
        await asyncio.sleep(0.1)
    pub = asyncio.create_task(publisher())
    await asyncio.sleep(2)
    t0 = time.time()
    A.send_signal(signal.SIGTERM)
    flipped, exited = None, None
    while exited is None:
        if flipped is None and status(PA, "/ready") == 503: flipped = time.time() - t0
        if A.poll() is not None: exited = time.time() - t0
        await asyncio.sleep(0.05)
    # every client back on B
    limit = time.time() + 30
    while len(reconnects) < len(clients) and time.time() < limit:
        await asyncio.sleep(0.1)
    await asyncio.sleep(2)
    stop.set(); await pub
    await asyncio.sleep(2)
    last = published[-1]
    ok = 0
    for c in clients:
        o = c.offsets
        start = o[0] if o else None
        if o and o == list(range(start, last + 1)): ok += 1
    for t in tasks: t.cancel()
    rel = [t - t0 for t in reconnects]
    per_sec = {}
    for t in rel: per_sec[int(t)] = per_sec.get(int(t), 0) + 1
    ended = sorted(t - t0 for t, _, _ in ends)
    hinted = sum(1 for _, _, h in ends if h)
    print("drain lab %s: %d clients (%d ws, %d sse) on A, delay %d s, window %d s" % (
        args.label, len(clients), len(clients) // 2 + len(clients) % 2, len(clients) // 2, args.delay, args.window))
    print("  /ready on A 503 after %.2f s; A exited after %.2f s" % (flipped if flipped is not None else -1, exited))
    if ended:
        print("  connections ended on A: first %.2f s, last %.2f s after SIGTERM; %d of %d with a hint" % (
            ended[0], ended[-1], hinted, len(ends)))
    print("  reconnects on B: %d; peak %d in one second; median second %d" % (
        len(rel), max(per_sec.values()) if per_sec else 0,
        sorted(per_sec.values())[len(per_sec) // 2] if per_sec else 0))
    print("  per second after SIGTERM: " + ", ".join("%d:%d" % (k, per_sec[k]) for k in sorted(per_sec)))
    print("  every message once, in order: %d of %d clients (%d published, last offset %d)" % (
        ok, len(clients), len(published), last))

try:
    asyncio.run(main())
finally:
    for proc in (A, B):
        if proc.poll() is None: proc.kill()
    redis.kill()
