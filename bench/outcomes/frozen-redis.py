#!/usr/bin/env python3
"""Frozen-Redis experiment (issue 9). Usage: python3 bench/outcomes/frozen-redis.py herald-server/target/herald.jar
(needs redis-server; ports 16391 and 18091 free): publish at 200/s over HTTP with an Idempotency-Key each,
SIGSTOP Redis for 10 s, SIGCONT, retry 504s/network errors with their key, then check the history."""
import http.client, json, os, signal, subprocess, sys, threading, time, random
from concurrent.futures import ThreadPoolExecutor

JAR = sys.argv[1]
RPORT, HPORT = 16391, 18091
RATE, BEFORE, FROZEN, AFTER = 200, 5.0, 10.0, 5.0
CH = "exp%d" % random.randrange(10**9)

redis = subprocess.Popen(["redis-server", "--port", str(RPORT), "--save", "", "--appendonly", "no"],
                         stdout=subprocess.DEVNULL)
time.sleep(0.5)
herald = subprocess.Popen(["java", "-jar", JAR, "serve", "--port", str(HPORT),
                           "--broker", "redis://127.0.0.1:%d" % RPORT, "--history-size", "100000"],
                          stdout=open(os.environ.get("HERALD_LOG", "/tmp/herald-frozen-redis.log"), "w"), stderr=subprocess.STDOUT)
local = threading.local()

def conn():
    if not hasattr(local, "c"):
        local.c = http.client.HTTPConnection("127.0.0.1", HPORT, timeout=60)
    return local.c

def request(method, path, body=None, headers=None):
    for attempt in range(2):
        try:
            c = conn()
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, r.read()
        except (ConnectionError, http.client.HTTPException, OSError) as e:
            local.__dict__.pop("c", None)
            err = e
    return -1, str(err).encode()

def publish(n):
    return request("POST", "/channels/" + CH, json.dumps({"n": n}),
                   {"Content-Type": "application/json", "Idempotency-Key": "exp-%d" % n})

deadline = time.time() + 30
while time.time() < deadline:
    try:
        if request("GET", "/health")[0] == 200:
            break
    except Exception:
        pass
    time.sleep(0.2)
else:
    sys.exit("herald did not come up")

health = []
stop = threading.Event()
def poll_health():
    c = http.client.HTTPConnection("127.0.0.1", HPORT, timeout=60)
    while not stop.is_set():
        t = time.time()
        try:
            c.request("GET", "/health"); r = c.getresponse(); r.read(); health.append((t, r.status))
        except Exception:
            c = http.client.HTTPConnection("127.0.0.1", HPORT, timeout=60)
        time.sleep(0.1)
threading.Thread(target=poll_health, daemon=True).start()

results = {}
pool = ThreadPoolExecutor(max_workers=200)
futures = []
start = time.time()
total = int(RATE * (BEFORE + FROZEN + AFTER))
frozen_at = thawed_at = None
for n in range(total):
    due = start + n / RATE
    now = time.time()
    if due > now:
        time.sleep(due - now)
    if frozen_at is None and time.time() - start >= BEFORE:
        os.kill(redis.pid, signal.SIGSTOP); frozen_at = time.time()
    if thawed_at is None and frozen_at and time.time() - frozen_at >= FROZEN:
        os.kill(redis.pid, signal.SIGCONT); thawed_at = time.time()
    futures.append((n, pool.submit(publish, n)))
if thawed_at is None:
    while time.time() - frozen_at < FROZEN:
        time.sleep(0.05)
    os.kill(redis.pid, signal.SIGCONT); thawed_at = time.time()
for n, f in futures:
    results[n] = f.result()
stop.set()
counts = {}
for n, (st, _) in results.items():
    counts[st] = counts.get(st, 0) + 1
print("publications sent: %d at %d/s; Redis frozen %.1f s" % (total, RATE, thawed_at - frozen_at))
print("first answers by status:", dict(sorted(counts.items())))
during = [s for t, s in health if frozen_at <= t < thawed_at]
print("health during freeze: %d polls, %d answered 503, first 503 after %.2f s" % (
    len(during), sum(1 for s in during if s == 503),
    min([t for t, s in health if s == 503 and t >= frozen_at], default=float("nan")) - frozen_at))
after = [s for t, s in health if t >= thawed_at + 2]
print("health from 2 s after thaw:", {s: after.count(s) for s in set(after)})

# retry unknown outcomes with their key
unknown = [n for n, (st, _) in results.items() if st in (504, -1)]
retried = {}
for n in unknown:
    for attempt in range(10):
        st, body = publish(n)
        if st == 201:
            retried[n] = json.loads(body); break
        time.sleep(0.25 * 2 ** attempt)
print("504/network retried with their key: %d, settled: %d" % (len(unknown), len(retried)))

st, body = publish(-1)
marker = json.loads(body)
epoch = marker["epoch"]
seen = {}
cursor = "%s:0" % epoch
last = 0
while last < marker["offset"]:
    st, body = request("GET", "/channels/%s?limit=1000&since=%s" % (CH, cursor))
    p = json.loads(body)
    for m in p["messages"]:
        seen[m["data"]["n"]] = seen.get(m["data"]["n"], 0) + 1
        last = m["offset"]
    cursor = p["cursor"]
u503 = [n for n, (st, _) in results.items() if st == 503]
print("answered 503: %d, of which published afterwards: %d" % (len(u503), sum(1 for n in u503 if n in seen)))
print("answered 504 then retried: %d, published exactly once: %d, twice or more: %d" % (
    len(unknown), sum(1 for n in unknown if seen.get(n) == 1), sum(1 for n in unknown if seen.get(n, 0) > 1)))
ok201 = [n for n, (st, _) in results.items() if st == 201]
print("answered 201: %d, published exactly once: %d" % (len(ok201), sum(1 for n in ok201 if seen.get(n) == 1)))
print("retried 504s answering an offset that differs from the delivered one: %d" % sum(
    1 for n, r in retried.items() if r["epoch"] != epoch))
print("history: %d messages, duplicates: %d" % (sum(seen.values()), sum(1 for v in seen.values() if v > 1)))
herald.terminate(); herald.wait(10)
redis.terminate(); redis.wait(10)
