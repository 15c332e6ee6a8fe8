/**
 * What every demo application shares: the Herald client on the demo's rung (or the one forced with
 * the selector or `?transport=`), and the connection bar that shows the transport and its state.
 * @module demos/demo
 */
import { Herald, TRANSPORTS } from '/herald.js';

/** @type {Record<string, string>} */
export const LABELS = { websocket: 'WebSocket', sse: 'SSE', 'long-poll': 'Long polling', 'short-poll': 'Short polling' };

/**
 * Creates the demo's client and fills `#connbar`.
 * @param {import('/herald.js').Transport} rung the rung this demo is built on
 * @param {import('/herald.js').ClientOptions} [options]
 * @returns {Herald}
 */
export function connect(rung, options = {}) {
  const params = new URLSearchParams(location.search);
  const choice = params.get('transport') || '';
  const herald = new Herald(undefined, { ...options, transports: transportsFor(rung, choice) });
  window.herald = herald; // for the curious (and the browser tests)
  connbar(herald, rung, choice);
  return herald;
}

/** @returns {import('/herald.js').Transport[]} */
function transportsFor(rung, choice) {
  if (TRANSPORTS.includes(choice)) return [choice];
  if (choice === 'auto') return [...TRANSPORTS];
  return TRANSPORTS.slice(TRANSPORTS.indexOf(rung));
}

function connbar(herald, rung, choice) {
  const bar = document.getElementById('connbar');
  if (!bar) return;
  const below = TRANSPORTS.slice(TRANSPORTS.indexOf(rung) + 1).map((t) => LABELS[t]);
  bar.innerHTML = `
    <span class="status"><span class="dot connecting"></span><b class="state">connecting</b></span>
    <span class="muted">via</span> <span class="pill transport">&ndash;</span>
    <span class="spacer"></span>
    <label class="inline">Transport
      <select class="force" aria-label="Transport">
        <option value="">${LABELS[rung]}${below.length ? ' first' : ''} (default)</option>
        ${TRANSPORTS.map((t) => `<option value="${t}">${LABELS[t]} only</option>`).join('')}
        <option value="auto">Auto: the full ladder</option>
      </select>
    </label>`;
  const select = bar.querySelector('select');
  select.value = TRANSPORTS.includes(choice) || choice === 'auto' ? choice : '';
  select.addEventListener('change', () => {
    const url = new URL(location.href);
    if (select.value) url.searchParams.set('transport', select.value);
    else url.searchParams.delete('transport');
    history.replaceState(null, '', url);
    herald.setTransports(transportsFor(rung, select.value));
  });
  const dot = bar.querySelector('.dot');
  const state = bar.querySelector('.state');
  const pill = bar.querySelector('.transport');
  const show = () => {
    const s = herald.state;
    const words = { idle: 'idle', connecting: 'connecting', connected: 'connected', disconnected: 'reconnecting', offline: 'offline', closed: 'closed' };
    state.textContent = words[s] || s;
    dot.className = 'dot ' + (s === 'connected' ? 'connected' : s === 'connecting' ? 'connecting' : s === 'idle' ? '' : 'disconnected');
    const t = herald.transport;
    pill.textContent = t ? LABELS[t] : '\u2013';
    pill.className = 'pill transport ' + (t || '');
    bar.dataset.state = s;
    bar.dataset.transport = t || '';
  };
  herald.on('state', show);
  herald.on('transport', show);
  show();
}

/**
 * The head of a channel, from a short poll from now (`?since=` answers the head at once).
 * @param {string} channel
 * @returns {Promise<{epoch: string, offset: number}|undefined>} undefined when it cannot ask
 */
export async function head(channel) {
  try {
    const res = await fetch(`/channels/${channel}?since=`, { cache: 'no-store' });
    if (!res.ok) return undefined;
    const body = await res.json();
    const [epoch, offset] = String(body.cursor).split(':');
    return { epoch, offset: Number(offset) };
  } catch (e) {
    return undefined;
  }
}

/**
 * A position from which a subscription gets about the last `n` messages of a channel: the head
 * stepped back `n`.
 * @param {string} channel
 * @param {number} n
 * @returns {Promise<string|undefined>} `epoch:offset`, or undefined (from now) when it cannot ask
 */
export async function recentSince(channel, n) {
  const h = await head(channel);
  return h ? `${h.epoch}:${Math.max(0, h.offset - n)}` : undefined;
}

/** "just now", "12 s ago", "3 min ago", or a clock time. @param {number} time ms since the epoch */
export function ago(time) {
  const s = Math.round((Date.now() - time) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return new Date(time).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** @param {string} s @returns {string} the text with HTML special characters escaped */
export function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

/** A short random id (base 36). */
export function rid() {
  return Math.random().toString(36).slice(2, 10);
}

/** The shared top bar; `current` is the page's file name. */
export function topbar(current) {
  const el = document.getElementById('topbar');
  if (!el) return;
  const pages = [['/', 'Four transports'], ['/demos/chat.html', 'Chat'], ['/demos/ticker.html', 'Prices'],
    ['/demos/notifications.html', 'Notifications'], ['/demos/todo.html', 'To-do sync'], ['/demos/answer.html', 'Streamed answer'],
    ['/demos/draw.html', 'Whiteboard']];
  el.className = 'topbar';
  el.innerHTML = `<a class="brand" href="/">Herald <small>demos</small></a><nav class="nav">${pages
    .map(([href, label]) => `<a href="${href}"${href.endsWith(current) && current ? ' class="current"' : ''}>${label}</a>`)
    .join('')}</nav>`;
}
