/**
 * herald.js: the browser client of a Herald server. One ES module, no dependencies, no build step.
 *
 * It picks a transport by itself, falling down the ladder WebSocket -> Server-Sent Events -> long
 * polling -> short polling when a rung does not work, remembers a failed rung for a while and
 * climbs back from time to time. It keeps the position of every channel it has received, so after
 * any reconnect (same or other transport, same or other node) it resumes with nothing lost and
 * nothing repeated, and it tells the application when the server could not recover (a gap).
 *
 * @example
 * import { Herald } from '/herald.js';
 * const herald = new Herald();                       // this page's server
 * const sub = herald.subscribe('chat:lobby', (m) => console.log(m.data, m.offset));
 * herald.on('transport', (e) => console.log('now on', e.transport));
 * await herald.publish('chat:lobby', { text: 'hello' });
 * sub.unsubscribe();
 *
 * Wire contract: PROTOCOL.md (version 1.1) of the Herald server; tokens as its section 10 says.
 *
 * @module herald
 */

/**
 * The transports, best first: the ladder.
 * @typedef {'websocket'|'sse'|'long-poll'|'short-poll'} Transport
 */

/** @type {ReadonlyArray<Transport>} */
export const TRANSPORTS = Object.freeze(['websocket', 'sse', 'long-poll', 'short-poll']);

/**
 * A delivered message: the envelope of PROTOCOL.md section 2, the same on every transport.
 * @typedef {object} Envelope
 * @property {string} channel the channel name
 * @property {number} offset 1 for the first message of an epoch, then +1 each
 * @property {string} epoch the channel history's epoch (1 to 16 of a-z 0-9)
 * @property {string} event the event name, `message` by default
 * @property {*} data any JSON value; for a binary message (PROTOCOL.md section 11) a
 *   `Uint8Array` holding exactly the published bytes, whatever the transport
 * @property {number} time when the server accepted the publication, ms since the Unix epoch
 * @property {string} [contentType] binary messages only: the publication's `Content-Type`
 *   (`application/octet-stream`, `image/png`, ...)
 * @property {'base64'|'binary'} [encoding] binary messages only: how the bytes travelled
 *   (`base64` in a JSON envelope on SSE, polls and WebSocket text frames; `binary` in a WebSocket
 *   binary frame). `data` is a `Uint8Array` either way.
 */

/**
 * @typedef {object} ClientOptions
 * @property {Transport[]} [transports] the rungs allowed, in ladder order (default all four); one
 *   entry forces that transport
 * @property {number} [connectTimeoutMs=10000] time a rung has to open (WebSocket open, SSE's
 *   `herald.subscribed`, a first poll answer) before it counts as failed
 * @property {number} [backoffBaseMs=500] first reconnect delay cap; doubles per failed attempt
 * @property {number} [backoffMaxMs=30000] largest reconnect delay cap (full jitter: the delay is
 *   uniformly random between 0 and the cap)
 * @property {number} [rememberFailureMs=600000] how long a failed rung is skipped (kept in
 *   localStorage per server, or in memory)
 * @property {number} [climbIntervalMs=60000] how often, on a lower rung, it tries to climb back
 * @property {number} [longPollWaitSeconds=25] the `wait` of long polls
 * @property {number} [shortPollIntervalMs=3000] time between short polls
 * @property {number} [pingIntervalMs=25000] on WebSocket: silence after which the client sends a
 *   `ping` command; no answer within half that time closes and reconnects
 * @property {number} [publishTimeoutMs=10000] how long a publication over WebSocket waits for
 *   its `published` reply
 * @property {number} [publishRetries=5] how many times a publication whose outcome is unknown
 *   (`publish_outcome_unknown`, `network`) or that the server could not take (`unavailable`,
 *   `over_capacity`) is sent again, with the same idempotency key
 * @property {number} [publishRetryDelayMs=250] pause before the first retry; doubles per retry up
 *   to 5 s (jittered down by up to half)
 * @property {TokenSource} [token] the credential for a server that asks for one (PROTOCOL.md
 *   section 10): a JWT, or a function that returns one (or a promise of one). A function is
 *   called when the client first needs a token, before a WebSocket token's `expires`, and again
 *   whenever the server says the token expired; a string is sent as is until it expires.
 */

/**
 * A token, or a function that gets one (from your backend, typically a `fetch` to your own
 * sign-in endpoint). It is called again for each renewal, so it must return a fresh token each
 * time (not a cached one that may have expired).
 * @typedef {string|(() => string|Promise<string>)} TokenSource
 */

/**
 * @typedef {object} SubscribeOptions
 * @property {string|number} [since] a position (`epoch:offset`, or a bare offset; `0` is the
 *   beginning of the retained history) to resume after. Without it, the subscription starts from
 *   now. Ignored when this client already subscribes to the channel.
 * @property {string[]} [events] event names other than `message` published on the channel. SSE
 *   (EventSource) only hands out events whose names it was told; the other transports deliver
 *   every event anyway.
 * @property {(gap: GapEvent) => void} [onGap] called when messages of this channel were lost
 * @property {(error: Error) => void} [onError] called once when the server refuses this
 *   subscription (`error.code` is `forbidden`: the token does not grant the channel, or
 *   `unauthorized`: the channel needs a token and none was given); the subscription then ends
 *   (`active` becomes false) and is not retried. Subscribe again, with a new token, to try again.
 */

/**
 * Emitted, and passed to `onGap`, when messages could not be delivered: the server no longer held
 * them (`reason: 'gap'` for a subscriber that fell behind, `'not-recovered'` for a resume that
 * could not be served, `'epoch-changed'` when the history was reset). Delivery continues from
 * `position`. A gap only ever moves a position forwards (or into a new epoch): a position the
 * server gave never moves backwards, and an answer behind it (a node whose log lags the channel's)
 * is ignored; only a `since` the application gave may move back, when the server finds it ahead
 * of the channel's head.
 * @typedef {object} GapEvent
 * @property {string} channel
 * @property {string|null} previous the position the client had
 * @property {string} position where delivery continues (`epoch:offset`)
 * @property {'gap'|'not-recovered'|'epoch-changed'} reason
 */

/**
 * Event payloads: `connected` {transport}; `disconnected` {transport, reason}; `transport`
 * {transport, previous, reason}; `gap` {@link GapEvent}; `error` {error: Error, transport?,
 * channel?}; `state` {state, transport}; `token` {expires, transport, reason}: the client got a
 * new token from its token function (`expires`: its `exp` in ms since the Unix epoch, or null).
 * @typedef {'connected'|'disconnected'|'transport'|'gap'|'error'|'state'|'token'} ClientEvent
 */

/**
 * The state of the connection: `idle` (nothing subscribed), `connecting`, `connected`,
 * `disconnected` (waiting to retry), `offline` (the browser says it is offline), `closed`.
 * @typedef {'idle'|'connecting'|'connected'|'disconnected'|'offline'|'closed'} ClientState
 */

const CHANNEL_RE = /^[A-Za-z0-9_\-.:@=]{1,200}$/;
const EVENT_RE = /^[A-Za-z0-9_\-.]{1,64}$/;
const POSITION_RE = /^(?:([a-z0-9]{1,16}):)?(\d{1,18})$/;
const QUICK_DROP_MS = 2000;
const STABLE_MS = 3000;

/**
 * Parses a position.
 * @param {string|null|undefined} text
 * @returns {{epoch: string|null, offset: number}|null} null for "from now" or a bad position
 */
export function parsePosition(text) {
  if (text === null || text === undefined || text === '') return null;
  const m = POSITION_RE.exec(String(text));
  return m ? { epoch: m[1] || null, offset: Number(m[2]) } : null;
}

/** A subscription returned by {@link Herald#subscribe}. */
export class Subscription {
  /** @param {Herald} client @param {ChannelState} state @param {(m: Envelope) => void} onMessage @param {SubscribeOptions} options */
  constructor(client, state, onMessage, options) {
    /** @private */ this._client = client;
    /** @private */ this._state = state;
    /** @type {(m: Envelope) => void} */ this.onMessage = onMessage;
    /** @type {((g: GapEvent) => void)|undefined} */ this.onGap = options.onGap;
    /** @type {((e: Error) => void)|undefined} */ this.onError = options.onError;
    /** @type {boolean} */ this.active = true;
  }

  /** @returns {string} the channel name */
  get channel() { return this._state.name; }

  /**
   * The position of the last message delivered on this channel (`epoch:offset`), or the position
   * the subscription started from; null before the server has answered a subscription from now.
   * Pass it as `since` to resume later, even in another page.
   * @returns {string|null}
   */
  get position() { return this._state.position; }

  /** Stops delivery to this subscription. Idempotent; returns immediately. */
  unsubscribe() {
    if (!this.active) return;
    this.active = false;
    this._client._remove(this);
  }
}

/** @private one channel as this client sees it: its position and its subscriptions */
class ChannelState {
  /** @param {string} name @param {string|null} since */
  constructor(name, since) {
    this.name = name;
    /** @type {string|null} */ this.position = since;
    /** @type {Set<Subscription>} */ this.subs = new Set();
    /** @type {Set<string>} */ this.events = new Set();
    /** messages are ignored while a resubscription from the start of a new epoch is under way */
    this.rewinding = false;
    /** @type {string|null} the epoch this channel last rewound to (once per epoch, never a loop) */
    this.rewoundEpoch = null;
    /**
     * whether the position came from the server (a message, an answer) rather than from `since`:
     * such a position never moves backwards; the server's first answer judges a `since`
     */
    this.confirmed = false;
  }
}

/**
 * A connection to one Herald server, multiplexing every subscription of the page over one
 * WebSocket, one SSE stream or one poll loop (browsers allow 6 HTTP/1.1 connections per host).
 *
 * Threading: the browser's event loop. Methods return immediately.
 */
export class Herald {
  /**
   * @param {string} [url] the server, for example `https://herald.example.com`; default this
   *   page's origin
   * @param {ClientOptions} [options]
   */
  constructor(url, options = {}) {
    const base = (url || (typeof location !== 'undefined' ? location.origin : '')).replace(/\/+$/, '');
    /** @private */ this._base = base;
    /** @private */ this._wsBase = base.replace(/^http/, 'ws');
    /** @private */ this._opt = {
      connectTimeoutMs: 10000,
      backoffBaseMs: 500,
      backoffMaxMs: 30000,
      rememberFailureMs: 600000,
      climbIntervalMs: 60000,
      longPollWaitSeconds: 25,
      shortPollIntervalMs: 3000,
      pingIntervalMs: 25000,
      publishTimeoutMs: 10000,
      publishRetries: 5,
      publishRetryDelayMs: 250,
      ...options,
    };
    /** @private @type {Transport[]} */ this._allowed = [];
    /** @private @type {Map<string, ChannelState>} */ this._channels = new Map();
    /** @private @type {Map<string, Set<Function>>} */ this._listeners = new Map();
    /** @private @type {Driver|null} */ this._driver = null;
    /** @private @type {Transport|null} */ this._transport = null;
    /** @private @type {ClientState} */ this._state = 'idle';
    /** @private */ this._attempt = 0;
    /** @private */ this._quickDrops = 0;
    /** @private @type {Record<string, number>} */ this._reachableFailures = {};
    /** @private */ this._timers = new Set();
    /** @private */ this._retryTimer = null;
    /** @private */ this._connectTimer = null;
    /** @private */ this._climbTimer = null;
    /** @private */ this._stableTimer = null;
    /** @private */ this._nextId = 1;
    /** @private */ this._memoryKey = 'herald.ladder:' + base;
    /** @private @type {Record<string, number>} */ this._failedMemory = {};
    /** @private @type {string|null} the token held (from the token function) */ this._tok = null;
    /** @private @type {number|null} its `exp` in ms, when it has one */ this._tokExp = null;
    /** @private @type {Promise<string>|null} a call of the token function under way */ this._tokPending = null;
    /** @private the server said the token expired: the next request gets a new one */ this._tokStale = false;
    /** @private auth refusals in a row without a working connection */ this._authFailures = 0;
    /** @private stopped on a refusal that retrying cannot fix; setToken or reconnect resumes */ this._authStopped = false;
    checkToken(this._opt.token);
    /** @private */ this._onOnline = () => this._online();
    /** @private */ this._onOffline = () => this._offline();
    if (typeof window !== 'undefined') {
      window.addEventListener('online', this._onOnline);
      window.addEventListener('offline', this._onOffline);
    }
    this.setTransports(options.transports || TRANSPORTS);
  }

  /** @returns {Transport|null} the transport in use or being tried, null before the first connection */
  get transport() { return this._transport; }

  /** @returns {ClientState} */
  get state() { return this._state; }

  /** @returns {Transport[]} the rungs this client may use, in order */
  get transports() { return [...this._allowed]; }

  /**
   * Changes the rungs this client may use (a demo's "force transport" selector) and reconnects
   * at once on the best of them.
   * @param {Transport[]} transports in ladder order; unknown names fail with a TypeError
   */
  setTransports(transports) {
    for (const t of transports) {
      if (!TRANSPORTS.includes(t)) throw new TypeError(`unknown transport '${t}'; use ${TRANSPORTS.join(', ')}`);
    }
    const supported = transports.filter((t) =>
      (t !== 'websocket' || typeof WebSocket !== 'undefined') && (t !== 'sse' || typeof EventSource !== 'undefined'));
    if (!supported.length) throw new TypeError('none of the given transports is available in this browser');
    this._allowed = TRANSPORTS.filter((t) => supported.includes(t));
    this._reachableFailures = {};
    if (this._state !== 'idle' && this._state !== 'closed') this.reconnect('transports changed');
  }

  /**
   * Subscribes to a channel.
   * @param {string} channel 1 to 200 of `A-Z a-z 0-9 _ - . : @ =`; a bad name throws a TypeError
   * @param {(message: Envelope) => void} onMessage called for each message, in offset order,
   *   each once
   * @param {SubscribeOptions} [options]
   * @returns {Subscription}
   */
  subscribe(channel, onMessage, options = {}) {
    if (this._state === 'closed') throw new Error('this Herald client is closed');
    if (!CHANNEL_RE.test(channel)) throw new TypeError(`bad channel name '${channel}': use 1 to 200 of A-Z a-z 0-9 _ - . : @ =`);
    if (typeof onMessage !== 'function') throw new TypeError('onMessage must be a function');
    let since = null;
    if (options.since !== undefined && options.since !== null && options.since !== '') {
      since = String(options.since);
      if (!parsePosition(since)) throw new TypeError(`bad position '${since}': use epoch:offset or an offset`);
    }
    for (const e of options.events || []) {
      if (!EVENT_RE.test(e)) throw new TypeError(`bad event name '${e}'`);
    }
    let state = this._channels.get(channel);
    const added = !state;
    if (!state) {
      state = new ChannelState(channel, since);
      this._channels.set(channel, state);
    }
    const newEvents = (options.events || []).filter((e) => !state.events.has(e) && e !== 'message');
    newEvents.forEach((e) => state.events.add(e));
    const sub = new Subscription(this, state, onMessage, options);
    state.subs.add(sub);
    if (added) this._channelsChanged();
    else if (newEvents.length && this._driver) this._driver.eventsChanged();
    return sub;
  }

  /**
   * The position this client holds for a channel (`epoch:offset`), or null.
   * @param {string} channel
   * @returns {string|null}
   */
  position(channel) {
    const s = this._channels.get(channel);
    return s ? s.position : null;
  }

  /**
   * Publishes one message, at most once. Over an open WebSocket it is a `publish` command;
   * otherwise an HTTP `POST /channels/{channel}` with a JSON body. Every publication carries an
   * idempotency key (a new random one unless `options.idempotencyKey` is given); when its outcome
   * is unknown (`publish_outcome_unknown`, `network`) or the server could not take it
   * (`unavailable`, `over_capacity`), it is sent again with the same key, up to `publishRetries`
   * times with a growing pause: the server publishes it once and answers the first offset to a
   * repeat.
   *
   * Binary data (PROTOCOL.md section 11): a `Uint8Array`, any other typed array or `DataView`
   * (its bytes), or an `ArrayBuffer` is published as raw bytes with `options.contentType`
   * (default `application/octet-stream`): over an open WebSocket as one binary frame (4 bytes
   * big-endian N, N bytes of the `publish` command's JSON without `data`, then the bytes),
   * otherwise as the body of a `POST` with that `Content-Type`. Subscribers get a `Uint8Array`.
   * A `Blob` is refused (read it first: `new Uint8Array(await blob.arrayBuffer())`). A WebSocket
   * that closes before a publication's answer (as a server does on a frame larger than it reads)
   * makes its retries go over `POST`, which answers `message_too_large` for such a frame.
   * @param {string} channel a valid channel name
   * @param {*} data any JSON value (a string is sent as a JSON string), or binary data
   * @param {{event?: string, idempotencyKey?: string, contentType?: string}} [options] the event
   *   name (`message` by default); the idempotency key, 1 to 128 printable ASCII characters; for
   *   binary data only, its media type (`type/subtype`, parameters allowed, at most 200
   *   characters; neither JSON, `text/*` nor `application/x-www-form-urlencoded`, which the server
   *   takes as JSON or text): a bad one rejects with a TypeError
   * @returns {Promise<{channel: string, offset: number, epoch: string}>} where the message was
   *   placed; rejects, after the last retry, with an Error whose `code` is the server's error code
   *   (`message_too_large`, `unavailable`, `publish_outcome_unknown`, ...) or `network` when the
   *   server could not be reached or the answer was lost (the message may then have been
   *   published: publish again with the same `idempotencyKey` to find out)
   */
  publish(channel, data, options = {}) {
    if (!CHANNEL_RE.test(channel)) return Promise.reject(new TypeError(`bad channel name '${channel}'`));
    if (options.event !== undefined && !EVENT_RE.test(options.event)) return Promise.reject(new TypeError(`bad event name '${options.event}'`));
    const key = options.idempotencyKey === undefined ? newIdempotencyKey() : options.idempotencyKey;
    if (typeof key !== 'string' || !IDEMPOTENCY_KEY_RE.test(key)) {
      return Promise.reject(new TypeError('an idempotency key must be 1 to 128 printable ASCII characters'));
    }
    let binary;
    try {
      binary = binaryPayload(data, options.contentType);
    } catch (e) {
      return Promise.reject(e);
    }
    return this._publishWithRetries(channel, binary || data, options.event, key);
  }

  /** @private */
  async _publishWithRetries(channel, data, event, key) {
    let renewed = false;
    let overHttp = false;
    for (let retry = 0; ; retry++) {
      let viaWs = false;
      try {
        const d = this._driver;
        viaWs = !overHttp && d && d instanceof WebSocketDriver && d.isOpen() && d.authenticated;
        if (viaWs) return await d.publish(channel, event, data, key);
        return await this._httpPublish(channel, data, event, key);
      } catch (e) {
        // a WebSocket lost with the publication unanswered: retry over POST (a frame larger than the
        // server reads closes the socket, often before the close code arrives; a POST gets a 413)
        if (viaWs && e.code === 'network') overHttp = true;
        if (e.code === 'token_expired' && typeof this._opt.token === 'function' && !renewed) {
          // refused, so nothing was published: once with a new token, at once
          renewed = true;
          this._tokStale = true;
          retry--;
          continue;
        }
        if (retry >= this._opt.publishRetries || !RETRYABLE_PUBLISH.has(e.code)) throw e;
        const cap = Math.min(5000, this._opt.publishRetryDelayMs * 2 ** Math.min(retry, 20));
        await new Promise((resolve) => setTimeout(resolve, cap / 2 + Math.random() * (cap / 2)));
      }
    }
  }

  /** @private */
  async _httpPublish(channel, data, event, key) {
    const url = `${this._base}/channels/${channel}` + (event ? `?event=${encodeURIComponent(event)}` : '');
    let res;
    let auth;
    try {
      auth = await this._authHeaders();
    } catch (e) {
      throw herr(e.code || 'token', e.message);
    }
    try {
      const bin = data instanceof BinaryPayload;
      const type = bin ? data.contentType : 'application/json';
      res = await fetch(url, { method: 'POST', headers: { 'Content-Type': type, 'Idempotency-Key': key, ...auth }, body: bin ? data.bytes : JSON.stringify(data === undefined ? null : data) });
    } catch (e) {
      throw herr('network', `cannot reach ${this._base}: ${e.message}`);
    }
    const body = await res.json().catch(() => null);
    if (!res.ok) {
      const code = body && body.error ? body.error.code : (res.status === 503 ? 'unavailable' : res.status === 504 ? 'publish_outcome_unknown' : 'http_' + res.status);
      throw herr(code, body && body.error ? body.error.message : `HTTP ${res.status}`);
    }
    return body;
  }

  /**
   * Adds a listener.
   * @param {ClientEvent} event
   * @param {(e: any) => void} fn
   * @returns {() => void} removes the listener
   */
  on(event, fn) {
    if (!this._listeners.has(event)) this._listeners.set(event, new Set());
    this._listeners.get(event).add(fn);
    return () => this.off(event, fn);
  }

  /** Removes a listener. @param {ClientEvent} event @param {Function} fn */
  off(event, fn) {
    const s = this._listeners.get(event);
    if (s) s.delete(fn);
  }

  /**
   * Drops the connection and connects again at once on the best rung allowed (remembered
   * failures still apply). Positions are kept, so nothing is lost or repeated.
   * @param {string} [reason]
   */
  reconnect(reason = 'reconnect') {
    if (this._state === 'closed') return;
    this._stopDriver();
    this._attempt = 0;
    this._connect(reason);
  }

  /** Closes the connection and every subscription. Idempotent. */
  close() {
    if (this._state === 'closed') return;
    const d = this._driver;
    this._stopDriver();
    if (typeof window !== 'undefined') {
      window.removeEventListener('online', this._onOnline);
      window.removeEventListener('offline', this._onOffline);
    }
    for (const t of this._timers) clearTimeout(t);
    this._timers.clear();
    this._setState('closed');
    if (d) this._emit('disconnected', { transport: d.transport, reason: 'closed' });
  }

  /**
   * Replaces the token (a string, a function, or null for none). The next request and the next
   * connection use it; a client stopped by a refusal (`unauthorized` with a fixed token, `4003`)
   * connects again at once.
   * @param {TokenSource|null} token
   */
  setToken(token) {
    checkToken(token);
    this._opt.token = token;
    this._tok = null;
    this._tokExp = null;
    this._tokStale = false;
    this._authFailures = 0;
    if (this._authStopped) {
      this._authStopped = false;
      this.reconnect('new token');
    }
  }

  /** Forgets the rungs remembered as failed (for this server). */
  forgetFailures() {
    this._failedMemory = {};
    this._reachableFailures = {};
    try { localStorage.removeItem(this._memoryKey); } catch (e) { /* no storage */ }
  }

  // ---------------------------------------------------------------- internals

  /** @private */
  _emit(event, payload) {
    const s = this._listeners.get(event);
    if (!s) return;
    for (const fn of [...s]) {
      try { fn(payload); } catch (e) { setTimeout(() => { throw e; }); }
    }
  }

  /** @private */
  _setState(state) {
    if (this._state === state) return;
    this._state = state;
    this._emit('state', { state, transport: this._transport });
  }

  /** @private */
  _later(fn, ms) {
    const t = setTimeout(() => { this._timers.delete(t); fn(); }, Math.max(0, ms));
    this._timers.add(t);
    return t;
  }

  /** @private */
  _clear(t) {
    if (t) { clearTimeout(t); this._timers.delete(t); }
    return null;
  }

  /** @private the channels, in subscription order */
  _channelList() { return [...this._channels.keys()]; }

  /** @private the cursor for a list of channels: positions in the same order, empty for "from now" */
  _cursor(list) { return list.map((c) => (this._channels.get(c) || {}).position || '').join(','); }

  /** @private */
  _remove(sub) {
    const state = sub._state;
    state.subs.delete(sub);
    if (state.subs.size === 0 && this._channels.get(state.name) === state) {
      this._channels.delete(state.name);
      this._channelsChanged();
    }
  }

  /** @private */
  _channelsChanged() {
    if (this._state === 'closed') return;
    if (this._channels.size === 0) {
      const d = this._driver;
      this._stopDriver();
      this._setState('idle');
      if (d) this._emit('disconnected', { transport: d.transport, reason: 'no subscriptions' });
      return;
    }
    if (this._driver) this._driver.channelsChanged();
    else if (this._state === 'idle') this._connect('subscribe');
  }

  /** @private */
  _stopDriver() {
    this._retryTimer = this._clear(this._retryTimer);
    this._connectTimer = this._clear(this._connectTimer);
    this._climbTimer = this._clear(this._climbTimer);
    this._stableTimer = this._clear(this._stableTimer);
    if (this._driver) {
      const d = this._driver;
      this._driver = null;
      d.stop();
    }
  }

  // ---- the ladder

  /** @private */
  _loadMemory() {
    try {
      const raw = localStorage.getItem(this._memoryKey);
      if (raw) this._failedMemory = { ...this._failedMemory, ...JSON.parse(raw) };
    } catch (e) { /* no storage: memory only */ }
    const now = Date.now();
    for (const k of Object.keys(this._failedMemory)) if (this._failedMemory[k] <= now) delete this._failedMemory[k];
  }

  /** @private */
  _markFailed(transport) {
    this._failedMemory[transport] = Date.now() + this._opt.rememberFailureMs;
    this._reachableFailures[transport] = 0;
    try { localStorage.setItem(this._memoryKey, JSON.stringify(this._failedMemory)); } catch (e) { /* memory only */ }
  }

  /** @private @returns {Transport} the best rung allowed and not remembered as failed (else the last) */
  _pickRung() {
    this._loadMemory();
    const ok = this._allowed.find((t) => !this._failedMemory[t]);
    return ok || this._allowed[this._allowed.length - 1];
  }

  /** @private */
  _connect(reason, rung) {
    this._retryTimer = this._clear(this._retryTimer);
    if (this._state === 'closed' || this._channels.size === 0 || this._driver) return;
    this._authStopped = false;
    if (typeof navigator !== 'undefined' && navigator.onLine === false) {
      this._setState('offline');
      return;
    }
    const transport = rung || this._pickRung();
    if (transport !== this._transport) {
      const previous = this._transport;
      this._transport = transport;
      this._emit('transport', { transport, previous, reason });
    }
    const Impl = transport === 'websocket' ? WebSocketDriver : transport === 'sse' ? SseDriver : PollDriver;
    const driver = new Impl(this, transport);
    this._driver = driver;
    this._setState('connecting');
    this._connectTimer = this._later(() => {
      if (this._driver === driver && !driver.established) driver.fail({ reason: 'no answer within ' + this._opt.connectTimeoutMs + ' ms', timeout: true });
    }, this._opt.connectTimeoutMs + (transport === 'long-poll' ? 1000 : 0));
    driver.start();
  }

  /** @private called by a driver when its transport works */
  _opened(driver) {
    if (driver !== this._driver) return;
    this._connectTimer = this._clear(this._connectTimer);
    driver.openedAt = Date.now();
    this._reachableFailures[driver.transport] = 0;
    this._authFailures = 0;
    this._setState('connected');
    this._emit('connected', { transport: driver.transport });
    this._stableTimer = this._clear(this._stableTimer);
    this._stableTimer = this._later(() => { this._attempt = 0; this._quickDrops = 0; }, STABLE_MS);
    this._scheduleClimb();
  }

  /** @private */
  _scheduleClimb() {
    this._climbTimer = this._clear(this._climbTimer);
    const i = this._allowed.indexOf(this._transport);
    if (i <= 0) return;
    const ms = this._opt.climbIntervalMs * (0.75 + Math.random() * 0.5);
    this._climbTimer = this._later(() => {
      this._climbTimer = null;
      if (!this._driver || this._state !== 'connected') return;
      this._loadMemory();
      const idx = this._allowed.indexOf(this._transport);
      const up = this._allowed.slice(0, idx).find((t) => !this._failedMemory[t]);
      if (!up) { this._scheduleClimb(); return; }
      const d = this._driver;
      this._driver = null;
      d.stop();
      this._climbing = true;
      this._connect('climbing back', up);
    }, ms);
  }

  /**
   * @private called by a driver once, when it stops working
   * @param {Driver} driver
   * @param {{reason: string, rungFailure?: boolean, goingAway?: boolean, timeout?: boolean}} info
   */
  _down(driver, info) {
    if (driver !== this._driver) return;
    this._driver = null;
    this._connectTimer = this._clear(this._connectTimer);
    this._climbTimer = this._clear(this._climbTimer);
    this._stableTimer = this._clear(this._stableTimer);
    const transport = driver.transport;
    const wasConnected = this._state === 'connected';
    const climbing = this._climbing;
    this._climbing = false;
    if (this._state === 'closed') return;
    if (info.auth) {
      this._authDown(driver, info, driver.established);
      return;
    }
    if (typeof navigator !== 'undefined' && navigator.onLine === false) {
      this._setState('offline');
      if (wasConnected) this._emit('disconnected', { transport, reason: 'offline' });
      return;
    }
    if (driver.established) {
      this._setState('disconnected');
      this._emit('disconnected', { transport, reason: info.reason });
      if (info.goingAway) {
        // a draining node hints when to come back (WebSocket 1001 reason, SSE herald.end): its
        // jitter spreads the reconnects over the remaining nodes
        this._attempt = 0;
        const wait = typeof info.retryAfterMs === 'number' && info.retryAfterMs >= 0 ? Math.min(info.retryAfterMs, 30000) : Math.random() * 300;
        this._retryTimer = this._later(() => this._connect('server going away'), wait);
        return;
      }
      const quick = Date.now() - driver.openedAt < QUICK_DROP_MS;
      this._quickDrops = quick ? this._quickDrops + 1 : 0;
      if (info.rungFailure || this._quickDrops >= 3) {
        // three streams in a row that ended within two seconds: the rung does not work here
        const quickly = this._quickDrops >= 3;
        this._quickDrops = 0;
        this._rungFailed(transport, quickly ? { ...info, reason: `${info.reason}, three times in a row`, timeout: true } : info, climbing);
        return;
      }
      this._retry(info.reason);
      return;
    }
    this._rungFailed(transport, info, climbing);
  }

  /** @private a rung did not work: fall when the server is reachable, else back off and retry */
  _rungFailed(transport, info, climbing) {
    const last = this._allowed.length <= 1 || transport === this._allowed[this._allowed.length - 1];
    if (this._state !== 'disconnected') this._setState('disconnected');
    if (last) { this._retry(info.reason); return; }
    if (info.rungFailure || climbing) {
      this._fall(transport, info.reason);
      return;
    }
    const driverless = () => this._state !== 'closed' && !this._driver;
    probe(this._base, this._opt.connectTimeoutMs).then((reachable) => {
      if (!driverless()) return;
      if (!reachable) {
        this._emit('error', { error: herr('network', `${transport} failed (${info.reason}) and the server does not answer /health`), transport });
        this._retry(info.reason);
        return;
      }
      const n = (this._reachableFailures[transport] || 0) + 1;
      this._reachableFailures[transport] = n;
      if (n >= 2 || info.timeout) this._fall(transport, info.reason);
      else this._retryTimer = this._later(() => this._connect('retry'), 100 + Math.random() * 400);
    });
  }

  /** @private */
  _fall(transport, reason) {
    this._markFailed(transport);
    this._emit('error', { error: herr('transport_failed', `${transport} does not work here (${reason}); trying the next transport`), transport });
    this._retryTimer = this._later(() => this._connect(`${transport} failed: ${reason}`), Math.random() * 100);
  }

  /** @private capped exponential backoff with full jitter */
  _retry(reason) {
    const cap = Math.min(this._opt.backoffMaxMs, this._opt.backoffBaseMs * 2 ** Math.min(this._attempt, 20));
    this._attempt++;
    this._retryTimer = this._clear(this._retryTimer);
    this._retryTimer = this._later(() => this._connect(reason), Math.random() * cap);
  }

  /** @private */
  _online() {
    if (this._state === 'closed' || this._state === 'idle') return;
    this._attempt = 0;
    if (!this._driver) this._connect('online');
  }

  /** @private */
  _offline() {
    if (this._state === 'closed' || this._state === 'idle') return;
    const d = this._driver;
    this._stopDriver();
    const was = this._state;
    this._setState('offline');
    if (d && was === 'connected') this._emit('disconnected', { transport: d.transport, reason: 'offline' });
  }

  // ---- credentials (PROTOCOL.md section 10)

  /** @private whether this client sends a token at all */
  _hasToken() {
    const t = this._opt.token;
    return t !== undefined && t !== null && t !== '';
  }

  /**
   * @private the token to send, or null when none is configured. A token function is called when
   * no token is held yet, when `fresh` (or the server said the held one expired), and when the
   * held one expires within two seconds; concurrent callers share one call.
   * @param {boolean} [fresh]
   * @returns {Promise<string|null>} rejects with code `token` when the function fails
   */
  async _credential(fresh = false) {
    const t = this._opt.token;
    if (!this._hasToken()) return null;
    if (typeof t === 'string') return t;
    const stale = fresh || this._tokStale || !this._tok || (this._tokExp !== null && this._tokExp - Date.now() < 2000);
    if (!stale) return this._tok;
    if (!this._tokPending) {
      const pending = (async () => {
        let v;
        try {
          v = await t();
        } catch (e) {
          throw herr('token', `the token function failed: ${e && e.message ? e.message : e}`);
        }
        if (typeof v !== 'string' || !v) throw herr('token', 'the token function returned no token (it must return a string)');
        if (this._opt.token !== t) return this._credential(); // replaced meanwhile by setToken
        this._tok = v;
        this._tokExp = tokenExpiry(v);
        this._tokStale = false;
        this._emit('token', { expires: this._tokExp, transport: this._transport, reason: fresh ? 'renewed' : 'needed' });
        return v;
      })();
      this._tokPending = pending;
      pending.then(() => { if (this._tokPending === pending) this._tokPending = null; }, () => { if (this._tokPending === pending) this._tokPending = null; });
    }
    return this._tokPending;
  }

  /** @private `Authorization: Bearer` for fetch requests, or nothing */
  async _authHeaders() {
    const tok = await this._credential();
    return tok ? { Authorization: `Bearer ${tok}` } : {};
  }

  /**
   * @private a transport stopped on an auth answer: renew the token and resume, or report and stop.
   * Never a rung failure: another transport would be refused the same way.
   */
  _authDown(driver, info, wasEstablished) {
    const transport = driver.transport;
    this._setState('disconnected');
    if (wasEstablished) this._emit('disconnected', { transport, reason: info.reason });
    const renewable = typeof this._opt.token === 'function';
    const n = ++this._authFailures;
    if (info.auth === 'expired' && renewable) {
      // expected at every token's end (4001, herald.expired, 401 token_expired): resume at once
      // with a new token from the positions held; back off only when it keeps happening
      this._tokStale = true;
      if (n <= 2) this._retryTimer = this._later(() => this._connect('token expired'), 0);
      else this._retry(info.reason);
      return;
    }
    if (info.auth === 'forbidden' && renewable && n <= 2) {
      // 4003: the token no longer grants a channel of this connection (a refresh with a narrower
      // token). Connect again: the channels it still grants resume from their positions, the others
      // are refused one by one (an `error` for each, not retried)
      this._emit('error', { error: herr('forbidden', info.reason), transport });
      this._tokStale = true;
      this._retryTimer = this._later(() => this._connect('forbidden'), 0);
      return;
    }
    const code = info.auth === 'expired' ? 'token_expired' : info.auth === 'forbidden' ? 'forbidden' : info.auth === 'token' ? 'token' : 'unauthorized';
    this._emit('error', { error: herr(code, info.reason), transport });
    if (renewable && info.auth !== 'forbidden') {
      this._tokStale = info.auth !== 'token';
      this._retry(info.reason); // the token function may do better next time (a user who signs in)
      return;
    }
    this._authStopped = true; // a fixed token, no token, or forbidden: retrying cannot help
  }

  /**
   * @private the server refused a channel (`forbidden`, or `unauthorized` for a channel that needs a
   * token): end its subscriptions with an error, keep the other channels going
   * @param {string} name @param {Error} error @param {Transport} [transport]
   */
  _refuse(name, error, transport) {
    const state = this._channels.get(name);
    if (!state) return;
    this._channels.delete(name);
    for (const sub of [...state.subs]) {
      sub.active = false;
      if (sub.onError) {
        try { sub.onError(error); } catch (e) { this._emit('error', { error: e, channel: name }); }
      }
    }
    this._emit('error', { error, transport, channel: name });
    this._channelsChanged();
  }

  /**
   * @private asks what a request for these channels is answered (a short poll, with the token):
   * used when a stream failed before it started (EventSource hides the status), and to find which
   * channels of a list a 403 was about
   * @param {string[]} list
   * @returns {Promise<{status: number, code: string|null, message: string}|null>} null when the server could not be reached
   */
  async _ask(list) {
    let res;
    let body;
    try {
      const auth = await this._authHeaders();
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), this._opt.connectTimeoutMs);
      try {
        res = await fetch(`${this._base}/channels/${list.join(',')}?limit=1`, { headers: { Accept: 'application/json', ...auth }, cache: 'no-store', signal: ctl.signal });
        body = await res.json().catch(() => null);
      } finally {
        clearTimeout(timer);
      }
    } catch (e) {
      if (e.code === 'token') return { status: 0, code: 'token', message: e.message };
      return null;
    }
    const err = body && body.error ? body.error : {};
    return { status: res.status, code: err.code || null, message: err.message || `HTTP ${res.status}` };
  }

  /**
   * @private an auth refusal of a request for `list` (a poll's answer, or what `_ask` found):
   * refuses the forbidden channels, or says how the transport must stop
   * @param {string[]} list @param {{status: number, code: string|null, message: string}} answer
   * @param {Transport} transport
   * @returns {Promise<{reason: string, auth: string}|null>} how the transport must stop; null
   *   when it may go on (the forbidden channels were refused, or the answer is no auth refusal)
   */
  async _authAnswer(list, answer, transport) {
    const reason = `HTTP ${answer.status} ${answer.code || ''}: ${answer.message}`;
    if (answer.code === 'token') return { reason: answer.message, auth: 'token' };
    if (answer.status === 401) return { reason, auth: answer.code === 'token_expired' ? 'expired' : 'unauthorized' };
    if (answer.status !== 403 || answer.code !== 'forbidden') return null;
    // a list is refused whole: find the channels the token does not grant, one request each
    let refused = list;
    if (list.length > 1) {
      const answers = await Promise.all(list.map((name) => this._ask([name])));
      refused = list.filter((name, i) => answers[i] && answers[i].status === 403 && answers[i].code === 'forbidden');
      if (!refused.length) return { reason, auth: 'forbidden' };
    }
    for (const name of refused) this._refuse(name, herr('forbidden', answer.message), transport);
    return null;
  }

  // ---- delivery, shared by every transport

  /** @private a message from any transport: deliver it once, in order */
  _deliver(env) {
    const state = this._channels.get(env.channel);
    if (!state || state.rewinding || typeof env.offset !== 'number') return;
    const p = parsePosition(state.position);
    if (p) {
      if (p.epoch === null || p.epoch === env.epoch) {
        if (env.offset <= p.offset) return; // already delivered
      } else {
        this._gap(state, `${env.epoch}:${env.offset - 1}`, 'epoch-changed');
      }
    }
    state.position = `${env.epoch}:${env.offset}`;
    state.confirmed = true;
    if (env.encoding === 'base64' && typeof env.data === 'string') {
      try {
        env.data = fromBase64(env.data);
      } catch (e) {
        // cannot happen with a Herald server; skip it (its position is passed) rather than hand out a string
        this._emit('error', { error: herr('bad_message', `message ${env.epoch}:${env.offset} of ${env.channel} has data that is not base64`), channel: env.channel });
        return;
      }
    }
    for (const sub of [...state.subs]) {
      if (!sub.active) continue;
      try { sub.onMessage(env); } catch (e) {
        this._emit('error', { error: e, channel: env.channel });
      }
    }
  }

  /**
   * @private the server's answer to a subscription: where it stands, and whether it recovered.
   * When it did not recover because the channel has a new epoch (its history was reset: a
   * restarted in-memory server, an expired channel), what the old epoch held after our position is
   * lost, but every message of the new epoch can still be had: the position moves to the start of
   * the new epoch and the driver subscribes again from there (once per epoch).
   * @param {string} channel @param {string} position @param {boolean} recovered
   * @returns {boolean} whether the driver must subscribe this channel again from its position
   */
  _subscribed(channel, position, recovered) {
    const state = this._channels.get(channel);
    if (!state || !position) return false;
    state.rewinding = false;
    const confirmed = state.confirmed;
    try {
      if (recovered || !state.position) {
        if (!confirmed || !behind(position, state.position)) state.position = position;
        return false;
      }
      // Not recovered, at a position behind one the server gave us, in the same epoch: a node
      // whose log lagged the channel's. Nothing after our position was lost: keep it, report
      // nothing. (A `since` the application gave is the server's to judge: ahead of the head, it
      // moves back to the head, reported as a gap.)
      if (confirmed && behind(position, state.position)) return false;
      const had = parsePosition(state.position);
      const now = parsePosition(position);
      if (had && now && had.epoch && now.epoch && had.epoch !== now.epoch && state.rewoundEpoch !== now.epoch) {
        state.rewoundEpoch = now.epoch;
        this._gap(state, `${now.epoch}:0`, 'not-recovered');
        state.rewinding = true;
        return true;
      }
      this._gap(state, position, 'not-recovered');
      return false;
    } finally {
      state.confirmed = true;
    }
  }

  /** @private a gap only ever moves a position forwards (or into another epoch); any other is none */
  _gap(state, position, reason) {
    if (!position || position === state.position) return;
    if (state.confirmed && behind(position, state.position)) return;
    const gap = { channel: state.name, previous: state.position, position, reason };
    state.position = position;
    for (const sub of [...state.subs]) {
      if (sub.active && sub.onGap) {
        try { sub.onGap(gap); } catch (e) { this._emit('error', { error: e, channel: state.name }); }
      }
    }
    this._emit('gap', gap);
  }

  /** @private */
  _gapNotice(channel, position) {
    const state = this._channels.get(channel);
    if (state && position) this._gap(state, position, 'gap');
  }

  /** @private */
  _id() { return this._nextId++; }
}

/**
 * @private the reconnect delay a draining server hints in a WebSocket close reason,
 * `{"reason":"draining","retryAfterMillis":N}`; undefined when the reason is no such hint
 */
function retryHint(reason) {
  try {
    const d = JSON.parse(reason);
    return d && typeof d.retryAfterMillis === 'number' && d.retryAfterMillis >= 0 ? d.retryAfterMillis : undefined;
  } catch (e) {
    return undefined;
  }
}

/** @private throws a TypeError for a token option that is neither a string nor a function */
function checkToken(token) {
  if (token !== undefined && token !== null && typeof token !== 'string' && typeof token !== 'function') {
    throw new TypeError('token must be a string (a JWT) or a function that returns one');
  }
}

/**
 * @private the `exp` of a JWT in ms since the Unix epoch, or null when it has none or cannot be
 * read (the client only reads it to renew in time; the server verifies the token)
 */
function tokenExpiry(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(part + '='.repeat((4 - (part.length % 4)) % 4)));
    return typeof claims.exp === 'number' ? claims.exp * 1000 : null;
  } catch (e) {
    return null;
  }
}

/** @private printable ASCII, 1 to 128 characters (PROTOCOL.md section 5) */
const IDEMPOTENCY_KEY_RE = /^[\x20-\x7e]{1,128}$/;

/** @private error codes after which a publication is sent again with its key (http_502: a proxy's node failed) */
const RETRYABLE_PUBLISH = new Set(['publish_outcome_unknown', 'network', 'unavailable', 'over_capacity', 'http_502']);

/** @private a new random idempotency key */
function newIdempotencyKey() {
  if (typeof crypto !== 'undefined' && crypto.randomUUID) return crypto.randomUUID();
  let k = '';
  for (let i = 0; i < 4; i++) k += Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
  return k;
}

// ---- binary messages (PROTOCOL.md section 11)

/** @private bytes to publish and their media type */
class BinaryPayload {
  /** @param {Uint8Array} bytes @param {string} contentType */
  constructor(bytes, contentType) {
    this.bytes = bytes;
    this.contentType = contentType;
  }
}

/** @private a media type: `type/subtype`, optionally followed by `;` parameters (RFC 9110 8.3.1) */
const MEDIA_TYPE_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*;[\x20-\x7e]*)?$/;

/**
 * @private the bytes of binary publish data and their type, or null for JSON data
 * @param {*} data @param {string|undefined} contentType
 * @returns {BinaryPayload|null} throws a TypeError for a Blob, for a bad content type, or for a
 *   content type given with JSON data
 */
function binaryPayload(data, contentType) {
  let bytes = null;
  if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
  else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  else if (typeof Blob !== 'undefined' && data instanceof Blob) {
    throw new TypeError('a Blob cannot be published as is: publish its bytes, new Uint8Array(await blob.arrayBuffer())');
  }
  if (!bytes) {
    if (contentType !== undefined) throw new TypeError('contentType is for binary data: publish a Uint8Array or an ArrayBuffer');
    return null;
  }
  const type = contentType === undefined ? 'application/octet-stream' : contentType;
  if (typeof type !== 'string' || type.length > 200 || !MEDIA_TYPE_RE.test(type)) {
    throw new TypeError(`bad contentType '${type}': use a media type such as application/octet-stream or image/png`);
  }
  const essence = type.split(';')[0].trim().toLowerCase();
  if (essence === 'application/json' || essence.endsWith('+json') || essence.startsWith('text/') || essence === 'application/x-www-form-urlencoded') {
    throw new TypeError(`contentType '${type}' is JSON or text, not bytes: use a binary type such as application/octet-stream`);
  }
  return new BinaryPayload(bytes, type);
}

/** @private the bytes of standard padded base64 (RFC 4648 section 4); throws on anything else */
function fromBase64(text) {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/** @private a binary WebSocket frame: 4 bytes big-endian N, N bytes of `cmd` as JSON, then `bytes` */
function binaryFrame(cmd, bytes) {
  const head = new TextEncoder().encode(JSON.stringify(cmd));
  const frame = new Uint8Array(4 + head.length + bytes.length);
  new DataView(frame.buffer).setUint32(0, head.length);
  frame.set(head, 4);
  frame.set(bytes, 4 + head.length);
  return frame;
}

/**
 * @private a binary WebSocket frame from the server: its JSON with `data` set to the bytes after
 * it (a copy with its own buffer), or null when the layout is broken
 * @param {ArrayBuffer} buf
 */
function parseBinaryFrame(buf) {
  if (!(buf instanceof ArrayBuffer) || buf.byteLength < 4) return null;
  const n = new DataView(buf).getUint32(0);
  if (4 + n > buf.byteLength) return null;
  const f = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, n)));
  if (!f || typeof f !== 'object') return null;
  f.data = new Uint8Array(buf.slice(4 + n));
  return f;
}

/** @private an Error with the server's error code */
function herr(code, message) {
  const e = new Error(message);
  e.code = code;
  return e;
}

/** @private whether the server answers GET /health with 2xx within the timeout */
async function probe(base, timeoutMs) {
  const ctl = typeof AbortController !== 'undefined' ? new AbortController() : null;
  const t = setTimeout(() => ctl && ctl.abort(), timeoutMs);
  try {
    const res = await fetch(`${base}/health`, { cache: 'no-store', signal: ctl ? ctl.signal : undefined });
    return res.ok;
  } catch (e) {
    return false;
  } finally {
    clearTimeout(t);
  }
}

/**
 * @private whether position `candidate` lies behind `held` in the same epoch: moving there would
 * move backwards and deliver messages again. Another epoch, a bare offset or "from now" never is.
 */
function behind(candidate, held) {
  const c = parsePosition(candidate);
  const h = parsePosition(held);
  return !!(c && h && c.epoch !== null && c.epoch === h.epoch && c.offset < h.offset);
}

/** @private whether the server's start position for a channel is the one asked for */
function resumedAt(requested, actual) {
  const r = parsePosition(requested);
  const a = parsePosition(actual);
  if (!r) return true;
  if (!a) return false;
  return r.offset === a.offset && (r.epoch === null || r.epoch === a.epoch);
}

// ------------------------------------------------------------------ transports

/**
 * @private One attempt at one transport. Calls `client._opened` once it works and `client._down`
 * once it stops; after `stop()` it calls nothing.
 */
class Driver {
  /** @param {Herald} client @param {Transport} transport */
  constructor(client, transport) {
    this.client = client;
    this.transport = transport;
    this.established = false;
    this.stopped = false;
    this.openedAt = 0;
  }
  start() {}
  stop() { this.stopped = true; }
  channelsChanged() {}
  eventsChanged() {}
  /** @protected */
  opened() {
    if (this.stopped || this.established) return;
    this.established = true;
    this.client._opened(this);
  }
  /**
   * @param {{reason: string, rungFailure?: boolean, goingAway?: boolean, retryAfterMs?: number,
   *   timeout?: boolean, auth?: 'expired'|'unauthorized'|'forbidden'|'token'}} info `auth`: stopped
   *   on an auth answer (never a rung failure); `retryAfterMs`: a draining server's hint
   */
  fail(info) {
    if (this.stopped) return;
    this.stop();
    this.stopped = true;
    this.client._down(this, info);
  }
}

/**
 * @private WebSocket on /ws: subscribe, unsubscribe, publish and ping commands over one socket.
 * With a token, the first command is `connect` (the token never goes in the URL), and a `refresh`
 * with a new token is sent before the `expires` the server gave.
 */
class WebSocketDriver extends Driver {
  start() {
    /** @type {Set<string>} */ this.subscribed = new Set();
    /** @type {Map<string, Promise<any>>} */ this.chains = new Map();
    /** @type {Map<number, {resolve: Function, reject: Function, timer: any}>} */ this.pending = new Map();
    this.lastFrame = Date.now();
    let ws;
    try {
      ws = new WebSocket(`${this.client._wsBase}/ws?binary=1`); // binary messages as binary frames
      ws.binaryType = 'arraybuffer';
    } catch (e) {
      this.client._later(() => this.fail({ reason: e.message, rungFailure: true }), 0);
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.stopped) return;
      this.lastFrame = Date.now();
      this.pinger = setInterval(() => this.ping(), Math.max(1000, this.client._opt.pingIntervalMs / 2));
      if (!this.client._hasToken()) {
        this.ready();
        return;
      }
      this.client._credential().then((token) => {
        if (!this.isOpen()) return undefined;
        return this.command({ type: 'connect', token }, this.client._opt.connectTimeoutMs).then((f) => {
          this.scheduleRefresh(f.expires);
          this.ready();
        }, (e) => {
          if (e.code === 'token_expired') this.authFail('expired', e.message);
          else if (e.code === 'unauthorized' || e.code === 'forbidden') this.authFail(e.code, e.message);
          else if (e.code !== 'network') this.ready(); // a server that does not know `connect` needs no token
        });
      }, (e) => this.authFail('token', e.message));
    };
    ws.onmessage = (ev) => {
      if (this.stopped) return;
      this.lastFrame = Date.now();
      this.awaitingPong = false;
      let f;
      try { f = typeof ev.data === 'string' ? JSON.parse(ev.data) : parseBinaryFrame(ev.data); } catch (e) { return; }
      if (f) this.frame(f);
    };
    ws.onclose = (ev) => {
      if (ev.code === 1009) this.frameTooBig();
      this.cleanup(`connection closed (${ev.code}${ev.reason ? ': ' + ev.reason : ''})`);
      const reason = `WebSocket closed with ${ev.code}${ev.reason ? ' (' + ev.reason + ')' : ''}`;
      if (ev.code === 4001 || ev.code === 4003) {
        this.fail({ reason, auth: ev.code === 4001 ? 'expired' : 'forbidden' });
        return;
      }
      this.fail({ reason, goingAway: ev.code === 1001, retryAfterMs: ev.code === 1001 ? retryHint(ev.reason) : undefined });
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  isOpen() { return !this.stopped && this.ws && this.ws.readyState === 1; }

  /** the socket may carry subscriptions: authenticated, or no token needed */
  ready() {
    if (this.stopped) return;
    this.authenticated = true;
    this.opened();
    this.sync();
  }

  /** stops on an auth answer: the client renews the token, or reports and stops */
  authFail(auth, reason) {
    if (this.stopped) return;
    this.cleanup(reason);
    if (this.ws) {
      this.ws.onclose = null;
      try { this.ws.close(1000, 'client closing'); } catch (e) { /* closing anyway */ }
    }
    this.fail({ reason, auth });
  }

  /**
   * sends `refresh` with a new token before `expires` (ms since the Unix epoch, the server's
   * clock): a fifth of the time left ahead, at least 1 s and at most 30 s. Late or failed, the
   * server closes with 4001 and the client resumes on a new connection: nothing is lost either way.
   */
  scheduleRefresh(expires) {
    clearTimeout(this.refresher);
    if (typeof expires !== 'number' || typeof this.client._opt.token !== 'function') return;
    const left = expires - Date.now();
    const lead = Math.min(30000, Math.max(1000, left / 5));
    this.refresher = setTimeout(() => this.refresh(), Math.max(0, left - lead));
  }

  refresh() {
    if (!this.isOpen()) return;
    this.client._credential(true).then((token) => {
      if (!this.isOpen()) return undefined;
      return this.command({ type: 'refresh', token }, this.client._opt.connectTimeoutMs).then((f) => this.scheduleRefresh(f.expires));
    }).catch((e) => {
      if (this.stopped) return;
      if (e.code === 'token_expired') this.authFail('expired', e.message);
      else this.client._emit('error', { error: e, transport: 'websocket' }); // the server closes with 4001 at exp
    });
  }
  frame(f) {
    const c = this.client;
    switch (f.type) {
      case 'message': c._deliver(f); break;
      case 'subscribed':
        this.reply(f);
        if (c._subscribed(f.channel, f.position, f.recovered !== false)) this.resubscribe(f.channel);
        break;
      case 'gap': c._gapNotice(f.channel, f.position); break;
      case 'published': case 'pong': case 'unsubscribed': case 'connected': case 'refreshed': this.reply(f); break;
      case 'error': {
        if (!this.reply(f)) c._emit('error', { error: herr(f.error && f.error.code, f.error && f.error.message), transport: 'websocket', channel: f.channel });
        break;
      }
      default: break;
    }
  }

  reply(f) {
    if (f.id === undefined || !this.pending.has(f.id)) return false;
    const p = this.pending.get(f.id);
    this.pending.delete(f.id);
    clearTimeout(p.timer);
    if (f.type === 'error') {
      const e = herr(f.error && f.error.code, f.error && f.error.message);
      if (p.channel && (e.code === 'forbidden' || e.code === 'unauthorized')) {
        // the token does not grant this channel: end its subscription, keep the others
        this.subscribed.delete(p.channel);
        this.client._refuse(p.channel, e, 'websocket');
      } else if (p.channel && e.code === 'token_expired') {
        this.authFail('expired', e.message);
      } else if (p.channel) this.client._emit('error', { error: e, transport: 'websocket', channel: p.channel });
      p.reject(e);
    } else p.resolve(f);
    return true;
  }

  /** sends a command and waits for its reply; with `bytes`, as a binary frame (PROTOCOL.md section 11) */
  command(cmd, timeoutMs, bytes) {
    const id = this.client._id();
    cmd.id = id;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(herr('network', `no answer to ${cmd.type} within ${timeoutMs} ms; it may or may not have been done`));
      }, timeoutMs);
      const frame = bytes ? binaryFrame(cmd, bytes) : JSON.stringify(cmd);
      const size = frame.length;
      this.pending.set(id, { resolve, reject, timer, channel: cmd.type === 'subscribe' ? cmd.channel : null, publish: cmd.type === 'publish', size });
      this.ws.send(frame);
    });
  }

  /**
   * the server closed with 1009: a frame was larger than it reads. That is the largest publication
   * waiting for its answer: it fails with `message_too_large` (not retried: it would only close the
   * next connection too); the other commands fail as on any close.
   */
  frameTooBig() {
    let largest = null;
    for (const [id, p] of this.pending) if (p.publish && (!largest || p.size > largest[1].size)) largest = [id, p];
    if (!largest) return;
    this.pending.delete(largest[0]);
    clearTimeout(largest[1].timer);
    largest[1].reject(herr('message_too_large', 'the server closed the WebSocket (1009): this publication is larger than the frames it reads; nothing was published'));
  }

  /** runs the commands of one channel one after another: a subscribe is answered before its unsubscribe is sent */
  queue(name, fn) {
    const next = (this.chains.get(name) || Promise.resolve()).then(fn).catch(() => {});
    this.chains.set(name, next);
  }

  /** subscribes and unsubscribes so that the socket carries exactly the client's channels */
  sync() {
    if (!this.isOpen() || !this.authenticated) return;
    const want = this.client._channels;
    const timeout = this.client._opt.connectTimeoutMs;
    for (const name of want.keys()) {
      if (this.subscribed.has(name)) continue;
      this.subscribed.add(name);
      this.queue(name, () => this.subscribeNow(name));
    }
    for (const name of [...this.subscribed]) {
      if (want.has(name)) continue;
      this.subscribed.delete(name);
      this.queue(name, () => this.command({ type: 'unsubscribe', channel: name }, timeout));
    }
  }

  subscribeNow(name) {
    const state = this.client._channels.get(name);
    if (!state || !this.subscribed.has(name) || !this.isOpen()) return undefined;
    const cmd = { type: 'subscribe', channel: name };
    if (state.position) cmd.since = state.position;
    return this.command(cmd, this.client._opt.connectTimeoutMs);
  }

  /** subscribes again from the client's position (after it moved to the start of a new epoch) */
  resubscribe(name) {
    if (!this.subscribed.has(name)) return;
    this.queue(name, () => this.command({ type: 'unsubscribe', channel: name }, this.client._opt.connectTimeoutMs));
    this.queue(name, () => this.subscribeNow(name));
  }

  channelsChanged() { this.sync(); }

  publish(channel, event, data, idempotencyKey) {
    const bin = data instanceof BinaryPayload;
    const cmd = bin ? { type: 'publish', channel, contentType: data.contentType } : { type: 'publish', channel, data: data === undefined ? null : data };
    if (event) cmd.event = event;
    if (idempotencyKey) cmd.idempotencyKey = idempotencyKey;
    return this.command(cmd, this.client._opt.publishTimeoutMs, bin ? data.bytes : undefined).then((f) => ({ channel: f.channel, offset: f.offset, epoch: f.epoch }));
  }

  ping() {
    if (!this.isOpen()) return;
    const silence = Date.now() - this.lastFrame;
    if (this.awaitingPong && silence > this.client._opt.pingIntervalMs * 1.5) {
      try { this.ws.close(4000, 'no answer to ping'); } catch (e) { /* closing anyway */ }
      this.cleanup('no answer to ping');
      this.fail({ reason: 'no answer to ping' });
      return;
    }
    if (!this.awaitingPong && silence >= this.client._opt.pingIntervalMs) {
      this.awaitingPong = true;
      this.command({ type: 'ping' }, this.client._opt.pingIntervalMs).catch(() => {});
    }
  }

  cleanup(reason) {
    clearInterval(this.pinger);
    clearTimeout(this.refresher);
    if (!this.pending) return;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(herr('network', `${reason}; the command may or may not have been carried out`));
    }
    this.pending.clear();
  }

  stop() {
    if (this.stopped) return;
    super.stop();
    this.cleanup('connection closed by the client');
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.onmessage = null;
      this.ws.onopen = null;
      try { this.ws.close(1000, 'client closing'); } catch (e) { /* already closed */ }
    }
  }
}

/**
 * @private one EventSource for all channels, reopened with the new list and a cursor when it
 * changes. EventSource cannot set headers: a token goes in the `token` query parameter. A stream
 * refused before it started is asked about with one short poll (EventSource hides the status), so
 * that a 401 or 403 is handled as such and not blamed on the transport.
 */
class SseDriver extends Driver {
  start() { this.open(); }

  open() {
    if (this.stopped) return;
    const c = this.client;
    this.list = c._channelList();
    this.opening = true;
    c._credential().then((token) => {
      this.opening = false;
      if (this.stopped) return;
      // the list may have changed while the token was fetched: open with the current one
      this.openWith(token);
    }, (e) => {
      this.opening = false;
      this.fail({ reason: e.message, auth: 'token' });
    });
  }

  openWith(token) {
    const c = this.client;
    const list = c._channelList();
    if (!list.length) return;
    const since = c._cursor(list);
    this.list = list;
    this.requested = since.split(',');
    const query = [];
    if (/[^,]/.test(since)) query.push(`since=${encodeURIComponent(since)}`);
    if (token) query.push(`token=${encodeURIComponent(token)}`);
    const url = `${c._base}/channels/${list.join(',')}` + (query.length ? `?${query.join('&')}` : '');
    const es = new EventSource(url);
    this.es = es;
    this.ready = false;
    const onEnvelope = (ev) => {
      if (this.stopped || es !== this.es) return;
      let env;
      try { env = JSON.parse(ev.data); } catch (e) { return; }
      c._deliver(env);
    };
    this.onEnvelope = onEnvelope;
    this.listening = new Set();
    es.onmessage = onEnvelope;
    this.eventsChanged();
    es.addEventListener('herald.subscribed', (ev) => {
      if (this.stopped || es !== this.es) return;
      let d;
      try { d = JSON.parse(ev.data); } catch (e) { return; }
      const positions = String(d.cursor || ev.lastEventId || '').split(',');
      let again = false;
      list.forEach((name, i) => {
        const recovered = d.recovered !== false || resumedAt(this.requested[i], positions[i]);
        if (c._subscribed(name, positions[i], recovered)) again = true;
      });
      this.ready = true;
      this.opened();
      if (again && !this.stopped) {
        // resume the channels that moved to the start of a new epoch: a new stream from the new cursor
        es.close();
        this.es = null;
        this.open();
      }
    });
    es.addEventListener('herald.gap', (ev) => {
      if (this.stopped || es !== this.es) return;
      try {
        const d = JSON.parse(ev.data);
        c._gapNotice(d.channel, d.position);
      } catch (e) { /* ignore */ }
    });
    es.addEventListener('herald.expired', () => {
      // the token expired: the server ends the stream; resume from the cursor with a new token
      if (this.stopped || es !== this.es) return;
      es.close();
      this.fail({ reason: 'the token expired (herald.expired)', auth: 'expired' });
    });
    es.addEventListener('herald.end', (ev) => {
      // a clean end (the node drains): come back after its hint, from the positions held
      if (this.stopped || es !== this.es) return;
      es.close();
      let d = {};
      try { d = JSON.parse(ev.data); } catch (e) { /* no hint */ }
      this.fail({ reason: `the server ended the stream (${d.reason || 'herald.end'})`, goingAway: true, retryAfterMs: typeof d.retryAfterMillis === 'number' ? d.retryAfterMillis : undefined });
    });
    es.onerror = () => {
      if (this.stopped || es !== this.es) return;
      es.close();
      if (this.ready) {
        // no herald.end first: the node crashed or the connection was cut; a failure, resumed
        // from the positions held with backoff
        this.fail({ reason: 'the event stream broke (it ended without herald.end)' });
        return;
      }
      this.es = null;
      this.refused(list);
    };
  }

  /** a stream refused before it started: an auth refusal, or a transport failure */
  refused(list) {
    const c = this.client;
    const plain = { reason: 'the event stream was refused or broke before it started' };
    c._ask(list).then(async (answer) => {
      if (this.stopped) return;
      if (!answer || answer.status === 200) { this.fail(plain); return; }
      const stop = await c._authAnswer(list, answer, 'sse');
      if (this.stopped) return;
      if (stop) this.fail(stop);
      else if (answer.status === 403 && answer.code === 'forbidden') this.open(); // the channels left
      else this.fail(plain);
    });
  }

  eventsChanged() {
    if (!this.es) return;
    for (const state of this.client._channels.values()) {
      for (const e of state.events) {
        if (this.listening.has(e)) continue;
        this.listening.add(e);
        this.es.addEventListener(e, this.onEnvelope);
      }
    }
  }

  channelsChanged() {
    if (this.stopped || this.reopen) return;
    // debounce: many subscribe calls in a row reopen the stream once
    this.reopen = setTimeout(() => {
      this.reopen = null;
      if (this.stopped || this.opening || (!this.es && !this.ready)) return; // about to open with the current list
      const want = this.client._channelList().join(',');
      if (this.list && want === this.list.join(',')) return;
      if (this.es) this.es.close();
      this.es = null;
      this.open();
    }, 20);
  }

  stop() {
    super.stop();
    clearTimeout(this.reopen);
    if (this.es) this.es.close();
  }
}

/**
 * @private how far apart (in offsets) the positions of a cacheable short poll's `since` are: a
 * position is rounded down to a multiple of it, so every client near the head of a channel asks
 * the same URL. The client option `shortPollAlignment` overrides it.
 */
const SHORT_POLL_ALIGN = 8;

/**
 * @private a cursor whose positions are rounded down to multiples of `align` (PROTOCOL.md section
 * 12): `k3f9:21` becomes `k3f9:16`; an empty position (from now) stays empty.
 */
function alignedCursor(cursor, align) {
  return cursor.split(',').map((pos) => {
    const p = parsePosition(pos);
    if (!p) return pos;
    const offset = Math.floor(p.offset / align) * align;
    return p.epoch === null ? String(offset) : `${p.epoch}:${offset}`;
  }).join(',');
}

/**
 * @private long polling (`wait`) or short polling (every `shortPollIntervalMs`) of all channels in
 * one request, with the token as `Authorization: Bearer`. A `401 token_expired` gets a new token
 * and polls again at once from the same cursor.
 *
 * Short polls are made for HTTP caches (PROTOCOL.md section 12): a poll of the same URL as the
 * last one sends that answer's ETag in `If-None-Match` (a `304` means nothing new). Once an answer
 * says `Cache-Control: public` (a namespace with `poll-cache-seconds`, polled without
 * credentials), the client polls so that all clients of the channels ask the same URL: its `since`
 * is its cursor rounded down to a multiple of `shortPollAlignment` (8) offsets, and it polls at
 * wall-clock multiples of `shortPollIntervalMs` (plus up to 10% jitter). The few messages it
 * already had come again and are dropped by position. An aligned answer that is full and brings
 * nothing new, or that did not recover, is asked again at once with the exact cursor.
 */
class PollDriver extends Driver {
  start() {
    this.long = this.transport === 'long-poll';
    this.quickEmpty = 0;
    this.cacheable = false; // the last short-poll answer said Cache-Control: public
    this.exactNext = false; // the next short poll uses the exact cursor
    this.lastUrl = null;
    this.lastEtag = null;
    this.loop();
  }

  async loop() {
    const c = this.client;
    while (!this.stopped) {
      const list = c._channelList();
      if (!list.length) return;
      const exact = c._cursor(list);
      const aligned = !this.long && this.cacheable && !this.exactNext;
      const since = aligned ? alignedCursor(exact, c._opt.shortPollAlignment || SHORT_POLL_ALIGN) : exact;
      this.exactNext = false;
      // the first long poll waits 1 s: it shows quickly that the server holds polls, then the full wait
      const wait = this.established ? c._opt.longPollWaitSeconds : 1;
      let url = `${c._base}/channels/${list.join(',')}?since=${encodeURIComponent(since)}`;
      if (this.long) url += `&wait=${wait}`;
      const ctl = new AbortController();
      this.ctl = ctl;
      this.changed = false;
      const started = Date.now();
      const limitMs = (this.long ? wait * 1000 : 0) + c._opt.connectTimeoutMs;
      let auth;
      try {
        auth = await c._authHeaders();
      } catch (e) {
        this.fail({ reason: e.message, auth: 'token' });
        return;
      }
      if (this.stopped) return;
      if (this.changed) continue;
      const timer = setTimeout(() => ctl.abort(), limitMs);
      let res;
      let body;
      try {
        const conditional = !this.long && url === this.lastUrl && this.lastEtag ? { 'If-None-Match': this.lastEtag } : {};
        res = await fetch(url, { headers: { Accept: 'application/json', ...conditional, ...auth }, cache: 'no-store', signal: ctl.signal });
        body = res.status === 304 ? null : await res.json().catch(() => null);
      } catch (e) {
        clearTimeout(timer);
        if (this.stopped) return;
        if (this.changed) continue; // aborted because the channel list changed
        this.fail({ reason: ctl.signal.aborted ? `no answer within ${limitMs} ms` : `request failed: ${e.message}`, timeout: ctl.signal.aborted });
        return;
      }
      clearTimeout(timer);
      if (this.stopped) return;
      if (this.changed) continue;
      if (res.status === 304 && !this.long && url === this.lastUrl) {
        // the answer we had for this URL still holds: nothing new
        this.opened();
        await this.pause();
        continue;
      }
      if (!res.ok || !body || !Array.isArray(body.messages)) {
        const code = body && body.error ? body.error.code : null;
        const reason = `HTTP ${res.status}${code ? ' ' + code : ''}${body && body.error ? ': ' + body.error.message : ''}`;
        if (res.status === 400 && code === 'invalid_cursor') {
          // cannot happen with positions the server gave; start those channels from now rather than loop
          for (const name of list) { const s = c._channels.get(name); if (s) s.position = null; }
          c._emit('error', { error: herr(code, reason), transport: this.transport });
        }
        if (res.status === 401 && code === 'token_expired' && typeof c._opt.token === 'function' && !this.renewed) {
          // renew and poll again at once from the same cursor: nothing missed, nothing repeated
          this.renewed = true;
          c._tokStale = true;
          continue;
        }
        const stop = await c._authAnswer(list, { status: res.status, code, message: body && body.error ? body.error.message : reason }, this.transport);
        if (this.stopped) return;
        if (stop) { this.fail(stop); return; }
        if (res.status === 403 && code === 'forbidden') continue; // the channels left
        const rungFailure = [403, 404, 405, 406, 501].includes(res.status) || (res.ok && !body);
        this.fail({ reason, rungFailure });
        return;
      }
      this.opened();
      this.renewed = false;
      if (!this.long) {
        this.lastUrl = url;
        this.lastEtag = res.headers.get('ETag');
        this.cacheable = /(^|[\s,])public([\s,]|$)/i.test(res.headers.get('Cache-Control') || '');
        if (since !== exact && body.recovered === false) {
          // the rounded-down position may be older than the history: ask with the exact cursor
          this.exactNext = true;
          continue;
        }
      }
      const requested = since.split(',');
      const positions = String(body.cursor || '').split(',');
      const rewound = new Set();
      if (body.recovered === false) {
        list.forEach((name, i) => {
          if (!requested[i]) return;
          const got = body.messages.some((m) => m.channel === name);
          const r = parsePosition(requested[i]);
          const a = parsePosition(positions[i]);
          const lost = !a || (r.epoch !== null && r.epoch !== a.epoch) || a.offset < r.offset || (a.offset > r.offset && !got);
          if (lost && c._subscribed(name, positions[i], false)) {
            rewound.add(name); // its position is now the start of the new epoch: the next poll reads from there
            c._channels.get(name).rewinding = false;
          }
        });
      }
      for (const m of body.messages) c._deliver(m);
      list.forEach((name, i) => {
        const s = c._channels.get(name);
        if (s && positions[i] && !rewound.has(name) && !behind(positions[i], s.position)) {
          s.position = positions[i];
          s.confirmed = true;
        }
      });
      if (rewound.size) continue;
      if (this.long) {
        // a long poll that comes back empty at once, again and again, is not being held (a proxy?)
        const quick = body.messages.length === 0 && Date.now() - started < (wait * 1000) / 4;
        this.quickEmpty = quick ? this.quickEmpty + 1 : 0;
        if (this.quickEmpty >= 3) {
          this.fail({ reason: 'long polls come back empty at once', rungFailure: true });
          return;
        }
      } else if (body.messages.length < (Number(body.limit) || 100)) {
        await this.pause();
      } else if (since !== exact && c._cursor(list) === exact) {
        this.exactNext = true; // a full aligned answer of messages we had: move on with the exact cursor
      }
    }
  }

  /** @private waits until the next short poll: the interval, or its next wall-clock multiple */
  async pause() {
    const interval = this.client._opt.shortPollIntervalMs;
    const ms = this.cacheable ? interval - (Date.now() % interval) + Math.random() * interval * 0.1 : interval;
    await new Promise((r) => { this.sleeper = r; this.sleepTimer = setTimeout(r, ms); });
    this.sleeper = null;
  }

  channelsChanged() {
    if (this.stopped) return;
    this.changed = true;
    if (this.ctl) this.ctl.abort();
    if (this.sleeper) { clearTimeout(this.sleepTimer); this.sleeper(); }
  }

  stop() {
    super.stop();
    if (this.ctl) this.ctl.abort();
    if (this.sleeper) { clearTimeout(this.sleepTimer); this.sleeper(); }
  }
}
