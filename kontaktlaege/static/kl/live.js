// A reconnecting WebSocket with heartbeats and sequence numbers, shared by every live page.
// Pushes carry a sequence number; the page renders snapshots only, so a lost push or a
// reconnect is repaired by asking the server for the current state.

// The server's interval (settings.HEARTBEAT_SECONDS, on <body>); tests shorten it with
// window.klHeartbeatMs. The other times follow from it.
const HEARTBEAT_MS = window.klHeartbeatMs || Number(document.body.dataset.heartbeatMs) || 10000;
// A ping unanswered this long means the link is dead although the socket does not know it:
// after a network drop a TCP connection can stay half-open for minutes. Heartbeat + answer
// is how long a silently dead connection can go unnoticed (10 + 3 s by default).
const ANSWER_MS = Math.min(3000, HEARTBEAT_MS);
// A connection attempt that hangs this long is given up and made again.
const CONNECT_MS = 2 * ANSWER_MS;
// The longest wait between attempts, so that however long the network was gone, the page
// is back in sync within about this long of its return (PRODUCT §5: within 5 s).
const MAX_BACKOFF_MS = 3000;

// The server closes a page's sockets with this code when the session has ended (signed out
// in another tab, the idle lock, a password change): the page must not go on showing people.
const SESSION_ENDED = 4001;

// A form sent by navigation (not by a page script): its navigation is under way, e.g. "Log
// ud" going on to the identity provider's single logout, and a reload would cut it short.
let leaving = false;
document.addEventListener("submit", (event) => {
  if (!event.defaultPrevented) leaving = true;
});

// Hide what the page shows and load it again: the server answers with the sign-in or lock
// page. Not more than once in 10 s, should the server still let the page in; while a form's
// navigation is under way, only if the page is still here after it.
function sessionEnded() {
  const key = "kl-session-ended-reload";
  const since = Date.now() - (Number(sessionStorage.getItem(key)) || 0);
  const wait = Math.max(leaving ? 5000 : 0, 10000 - since);
  document.body.hidden = true;
  setTimeout(() => {
    sessionStorage.setItem(key, String(Date.now()));
    location.reload();
  }, wait);
}

export class LiveSocket {
  constructor(path, { onSnapshot, onMessage, onStatus }) {
    this.url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
    this.onSnapshot = onSnapshot;
    this.onMessage = onMessage || (() => {});
    this.onStatus = onStatus || (() => {});
    this.seq = -1;
    this.retry = 0;
    this.closedByUs = false;
    this.ws = null;
    // The device's network is back: whatever socket we hold may have died with the old
    // network (a new address), so open a fresh one now rather than wait for the silence.
    addEventListener("online", () => this.renew());
    // Say so at once when the device loses its network, not at the next failed heartbeat.
    addEventListener("offline", () => { if (!this.closedByUs) this.onStatus("down"); });
    // The screen is back (tablets sleep and pause timers): check the link now.
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.wake();
    });
    this.connect();
  }

  connect() {
    this.onStatus("connecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    const opening = setTimeout(() => this.lost(ws), CONNECT_MS);
    ws.onopen = () => {
      clearTimeout(opening);
      this.retry = 0;
      this.lastHeard = Date.now();
      this.onStatus("open");
      this.beat = setInterval(() => this.ping(), HEARTBEAT_MS);
    };
    ws.onmessage = (event) => {
      let msg;
      try { msg = JSON.parse(event.data); } catch { return; }
      this.lastHeard = Date.now();
      if (msg.type === "snapshot") {
        // Out-of-order snapshots (several server processes) are older than what we show.
        if (msg.seq < this.seq) return;
        this.seq = msg.seq;
        this.onSnapshot(msg.data);
      } else if (msg.type !== "pong") {
        this.onMessage(msg);
      }
    };
    ws.onclose = (event) => {
      clearTimeout(opening);
      // Refused or signed out: no reconnecting.
      if ((event.code === SESSION_ENDED || event.code === 4003) && !this.closedByUs) {
        clearInterval(this.beat);
        this.ws = null;
        if (event.code === SESSION_ENDED) sessionEnded();
        else this.onStatus("forbidden");
        return;
      }
      this.lost(ws);
    };
  }

  // A heartbeat carries our sequence number: the server answers with a pong, or with a
  // fresh snapshot when we are behind (a push was lost).
  ping() {
    const ws = this.ws;
    const asked = Date.now();
    if (!this.send({ type: "ping", seq: this.seq })) return;
    setTimeout(() => { if (this.ws === ws && this.lastHeard < asked) this.lost(ws); }, ANSWER_MS);
  }

  // `ws` is closed or dead: forget it and connect again after a growing, jittered wait.
  lost(ws) {
    if (ws !== this.ws || this.closedByUs) return;
    this.forget();
    this.onStatus("down");
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.retry++) * (0.5 + Math.random() / 2);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  // Drop the current socket without a word to its handlers.
  forget() {
    const ws = this.ws;
    this.ws = null;
    clearInterval(this.beat);
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
    try { ws.close(); } catch { /* already closed */ }
  }

  wake() {
    if (this.closedByUs) return;
    if (!this.ws) this.renew();
    else if (this.ws.readyState === WebSocket.OPEN) this.ping();
  }

  renew() {
    if (this.closedByUs) return;
    this.forget();
    clearTimeout(this.timer);
    this.retry = 0;
    this.connect();
  }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  // Tests and the "reconnect" button use this: drop the socket as a network would.
  drop() { if (this.ws) this.ws.close(); }

  close() {
    this.closedByUs = true;
    clearInterval(this.beat);
    clearTimeout(this.timer);
    if (this.ws) this.ws.close();
  }
}

// Submit a form with fetch so the page stays live; errors show next to the form.
export async function postForm(form) {
  const buttons = form.querySelectorAll("button");
  buttons.forEach((b) => { b.disabled = true; });
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    let body = {};
    try { body = await response.json(); } catch { /* not JSON */ }
    if (!response.ok) throw new Error(body.error || response.statusText);
    return body;
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

export function minutesSince(iso, now = Date.now()) {
  const seconds = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  const m = Math.floor(seconds / 60);
  const s = String(seconds % 60).padStart(2, "0");
  return `${m}:${s}`;
}
