// A reconnecting WebSocket with heartbeats and sequence numbers, shared by every live page.
// Pushes carry a sequence number; the page renders snapshots only, so a lost push or a
// reconnect is repaired by asking the server for the current state.

const HEARTBEAT_MS = 15000;

export class LiveSocket {
  constructor(path, { onSnapshot, onMessage, onStatus }) {
    this.url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
    this.onSnapshot = onSnapshot;
    this.onMessage = onMessage || (() => {});
    this.onStatus = onStatus || (() => {});
    this.seq = -1;
    this.retry = 0;
    this.closedByUs = false;
    this.connect();
  }

  connect() {
    this.onStatus("connecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 0;
      this.onStatus("open");
      this.beat = setInterval(() => this.send({ type: "ping", seq: this.seq }), HEARTBEAT_MS);
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
      clearInterval(this.beat);
      if (this.closedByUs) return;
      if (event.code === 4003) { this.onStatus("forbidden"); return; }
      this.onStatus("down");
      const delay = Math.min(10000, 500 * 2 ** this.retry++) * (0.5 + Math.random() / 2);
      setTimeout(() => this.connect(), delay);
    };
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

  close() { this.closedByUs = true; if (this.ws) this.ws.close(); }
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
