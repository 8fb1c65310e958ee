// A mesh video call: one RTCPeerConnection per other participant, negotiated with the
// "perfect negotiation" pattern over the call socket (the server only relays). Of any two
// participants the later to join makes the first offer. On ICE failure the connection is
// restarted; a peer away longer than the grace period is dropped.
import { LiveSocket } from "/static/kl/live.js";

const LIVE_ICE = new Set(["connected", "completed"]);
// A connection in one of these states needs new ICE credentials to come back.
const BROKEN_ICE = new Set(["failed", "disconnected"]);
// The relay delivers at most once: an offer still unanswered, or a connection that has not
// had a single candidate from the other side, this long after our offer is negotiated again.
const ANSWER_WAIT_MS = 5000;
// An ICE restart made while the path was still down (the network, or the TURN server) finds
// nothing: the one who calls tries again this often until the call is back.
const RESTART_RETRY_MS = 6000;
// The quality shown on each remote picture, from getStats this often: "lost" when nothing
// arrived meanwhile, "weak" over these limits (the doctor may switch to the phone), else "good".
const QUALITY_MS = 2000;
const WEAK = { rttSeconds: 0.4, loss: 0.05, fps: 5 };

// A connection's quality from two looks at its stats: "good", "weak" or "lost".
export function judge(before, now) {
  const received = now.received - before.received;
  const lost = Math.max(0, now.lost - before.lost);
  const fps = ((now.frames - before.frames) * 1000) / (now.at - before.at);
  if (received <= 0) return "lost";
  if (now.rtt > WEAK.rttSeconds || lost / (received + lost) > WEAK.loss || fps < WEAK.fps) {
    return "weak";
  }
  return "good";
}

export class VideoCall {
  constructor(panel, { onEnded = () => {}, onRemove = null } = {}) {
    this.panel = panel;
    this.t = panel.dataset;
    this.onEnded = onEnded;
    this.onRemove = onRemove; // the doctor's page: remove a guest (peer id, info)
    this.peers = new Map(); // peer id → { pc, info, polite, makingOffer, ... }
    this.iceServers = [];
    this.icePolicy = "all"; // "relay": TURN only (settings.TURN_RELAY_ONLY)
    this.graceMs = 30000;
    this.socketDown = false;
    this.leftNotice = false;
    this.stopped = false;
    this.firstFrameAt = null;
    this.statusEl = panel.querySelector("#call-status");
    this.remoteBox = panel.querySelector("#remote-videos");
    this.template = panel.querySelector("#remote-template");
  }

  // Tests and the benchmark read the connections from here.
  get pcs() { return new Map([...this.peers].map(([id, p]) => [id, p.pc])); }

  async start() {
    this.status(this.t.tConnecting);
    try {
      this.local = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    } catch {
      this.status(this.t.tMediaError, true);
      return;
    }
    if (this.stopped) { this.local.getTracks().forEach((t) => t.stop()); return; }
    this.panel.querySelector("#local-video").srcObject = this.local;
    this.peerId = crypto.randomUUID();
    this.socket = new LiveSocket(`${this.t.socket}?peer=${this.peerId}`, {
      onSnapshot: () => {},
      onMessage: (m) => this.onMessage(m).catch((err) => console.warn("video:", err)),
      onStatus: (s) => this.onSocketStatus(s),
    });
    addEventListener("pagehide", () => this.leave());
    this.qualityTimer = setInterval(() => {
      this.measure().catch((err) => console.warn("video: stats", err));
    }, QUALITY_MS);
  }

  // Round-trip time of the selected path, and the packets and frames that arrived since the
  // last look: the quality of each remote participant's connection.
  async measure() {
    for (const p of [...this.peers.values()]) {
      const live = LIVE_ICE.has(p.pc.iceConnectionState);
      if (!live && !p.stats) continue; // not connected yet: nothing to judge
      const now = { at: performance.now(), received: 0, lost: 0, frames: 0, rtt: null };
      if (live) {
        const stats = await p.pc.getStats();
        stats.forEach((r) => {
          if (r.type === "inbound-rtp") {
            now.received += r.packetsReceived || 0;
            now.lost += r.packetsLost || 0;
            if (r.kind === "video") now.frames += r.framesDecoded || 0;
          } else if (r.type === "transport" && r.selectedCandidatePairId) {
            now.rtt = stats.get(r.selectedCandidatePairId)?.currentRoundTripTime ?? null;
          }
        });
      }
      const before = p.stats;
      p.stats = now;
      if (before) this.setQuality(p, judge(before, now)); // a first look has nothing to compare
    }
  }

  setQuality(p, quality) {
    const el = p.tile.querySelector(".quality");
    if (!el || el.dataset.quality === quality) return;
    el.dataset.quality = quality;
    const texts = { good: this.t.tQualityGood, weak: this.t.tQualityWeak, lost: this.t.tQualityLost };
    el.textContent = texts[quality];
    el.hidden = false;
  }

  onSocketStatus(status) {
    if (status === "forbidden") { this.status(this.t.tForbidden, true); return; }
    this.socketDown = status === "down";
    this.render();
  }

  send(message) { return this.socket ? this.socket.send(message) : false; }

  async onMessage(m) {
    if (this.stopped) return;
    const p = m.from ? this.peers.get(m.from) : null;
    switch (m.type) {
      case "call": return this.onRoster(m);
      case "peer-joined": return this.onPeerBack(m.peer);
      case "peer-away": return this.onPeerAway(m.peer.id);
      case "peer-left": return this.removePeer(m.peer.id, true);
      case "offer": return this.onDescription(p || this.addPeer(m.from, null, false), m);
      case "answer": return p && this.onDescription(p, m);
      case "candidate": return p && this.onCandidate(p, m.candidate);
      case "restart":
        if (p && !LIVE_ICE.has(p.pc.iceConnectionState)) { p.reconnecting = true; this.render(); }
        return;
      case "ended":
      case "full":
      case "replaced": // we joined again from another page: that one has our place now
      case "removed": // a guest the doctor removed
        this.stop();
        this.status(m.message, true);
        if (m.type === "ended") this.onEnded(m.message);
        return;
      case "error":
        console.warn("video:", m.message);
        return;
      default:
    }
  }

  onRoster(m) {
    this.iceServers = m.ice_servers;
    this.icePolicy = m.ice_transport_policy || "all";
    this.graceMs = m.grace_seconds * 1000;
    this.order = m.order;
    const present = new Set(m.peers.map((peer) => peer.id));
    for (const id of this.peers.keys()) if (!present.has(id)) this.removePeer(id, true);
    for (const info of m.peers) {
      const p = this.peers.get(info.id);
      if (p) this.setInfo(p, info);
      else if (this.weCall(info)) this.addPeer(info.id, info, true);
      if (info.away) this.onPeerAway(info.id);
      else if (p) this.notAway(p); // the roster is the truth: a "back" push may have been lost
    }
    // Back after our own socket dropped: repair what failed meanwhile.
    for (const q of this.peers.values()) {
      if (BROKEN_ICE.has(q.pc.iceConnectionState)) this.restart(q);
    }
    this.render();
  }

  // The later of two participants to join makes the first offer. Both ends know the join
  // order from the server, so they never offer at once: when they did, Chromium could lose
  // the ICE candidates of the side that took its offer back, and the call stayed dark.
  weCall(info) { return this.order != null && info.order < this.order; }

  onPeerBack(info) {
    const p = this.peers.get(info.id);
    if (!p) {
      this.leftNotice = false;
      if (this.weCall(info)) this.addPeer(info.id, info, true);
      this.render();
      return; // else they will call us
    }
    this.notAway(p);
    this.setInfo(p, info);
    const state = p.pc.iceConnectionState;
    // Back with the same page: what failed while they were away is repaired now, and so is
    // a first offer of ours they may not have had.
    if (BROKEN_ICE.has(state) || (state === "new" && this.weCall(info))) {
      this.restart(p);
    }
    this.render();
  }

  notAway(p) {
    clearTimeout(p.awayTimer);
    p.away = false;
  }

  onPeerAway(id) {
    const p = this.peers.get(id);
    if (!p) return;
    p.away = true;
    clearTimeout(p.awayTimer);
    p.awayTimer = setTimeout(() => this.removePeer(id, true), this.graceMs);
  }

  addPeer(id, info, withTracks) {
    const pc = new RTCPeerConnection({
      iceServers: this.iceServers, iceTransportPolicy: this.icePolicy,
    });
    const p = {
      id, pc, info, polite: this.peerId > id, makingOffer: false, ignoreOffer: false,
      needTracks: !withTracks, reconnecting: false, tile: this.makeTile(),
    };
    this.peers.set(id, p);
    this.leftNotice = false;
    if (info) this.setInfo(p, info); else this.send({ type: "sync" });
    pc.onnegotiationneeded = async () => {
      try {
        p.makingOffer = true;
        await pc.setLocalDescription();
        this.send({ type: "offer", to: id, sdp: pc.localDescription.sdp });
        this.awaitAnswer(p);
      } catch (err) {
        console.warn("video: offer failed", err);
      } finally {
        p.makingOffer = false;
      }
    };
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.send({ type: "candidate", to: id, candidate: candidate.toJSON() });
    };
    pc.ontrack = ({ track, streams }) => {
      const video = p.tile.querySelector("video");
      if (!video.srcObject) video.srcObject = streams[0] || new MediaStream();
      if (!streams[0]) video.srcObject.addTrack(track);
      if (track.kind === "video" && "requestVideoFrameCallback" in video) {
        video.requestVideoFrameCallback(() => {
          this.firstFrameAt = this.firstFrameAt || performance.timeOrigin + performance.now();
        });
      }
    };
    pc.oniceconnectionstatechange = () => {
      const state = pc.iceConnectionState;
      clearTimeout(p.restartTimer);
      if (LIVE_ICE.has(state)) p.reconnecting = false;
      if (state === "failed") this.restart(p);
      if (state === "disconnected") {
        p.reconnecting = true;
        p.restartTimer = setTimeout(() => {
          if (pc.iceConnectionState === "disconnected") this.restart(p);
        }, 2000);
      }
      this.render();
    };
    if (withTracks) this.addTracks(p);
    this.render();
    return p;
  }

  addTracks(p) {
    p.needTracks = false;
    for (const track of this.local.getTracks()) p.pc.addTrack(track, this.local);
  }

  // Our offer or its answer, or the candidates, may have been lost on the way (the peer's
  // socket was away, a server restarted): negotiate again rather than wait for ever.
  awaitAnswer(p) {
    clearTimeout(p.answerTimer);
    p.answerTimer = setTimeout(() => {
      if (this.stopped || this.peers.get(p.id) !== p) return;
      const { pc } = p;
      if (p.away || this.socketDown) this.awaitAnswer(p); // ask again when they can hear it
      else if (pc.signalingState === "have-local-offer" || pc.iceConnectionState === "new") {
        this.restart(p);
      }
    }, ANSWER_WAIT_MS);
  }

  // Negotiate again: an offer still unanswered is sent once more (taking it back would leave
  // a peer that did answer it with a session we no longer hold); otherwise a new offer with
  // new ICE credentials.
  restart(p) {
    p.reconnecting = true;
    this.send({ type: "restart", to: p.id });
    this.render();
    const { pc } = p;
    if (pc.signalingState === "have-local-offer" && pc.localDescription) {
      this.send({ type: "offer", to: p.id, sdp: pc.localDescription.sdp });
      this.awaitAnswer(p);
    } else {
      pc.restartIce();
    }
    clearTimeout(p.retryTimer);
    if (p.info && this.weCall(p.info)) {
      p.retryTimer = setTimeout(() => {
        if (this.stopped || this.peers.get(p.id) !== p || LIVE_ICE.has(pc.iceConnectionState)) {
          return;
        }
        if (p.away || this.socketDown) return; // their return, or ours, repairs it
        this.restart(p);
      }, RESTART_RETRY_MS);
    }
  }

  async onDescription(p, { type, sdp }) {
    const collision = type === "offer" && (p.makingOffer || p.pc.signalingState !== "stable");
    p.ignoreOffer = !p.polite && collision;
    if (p.ignoreOffer) return;
    await p.pc.setRemoteDescription({ type, sdp });
    if (type === "offer") {
      // Added after the offer, the tracks reuse its transceivers: one round trip, not two.
      if (p.needTracks) this.addTracks(p);
      await p.pc.setLocalDescription();
      this.send({ type: "answer", to: p.id, sdp: p.pc.localDescription.sdp });
    }
  }

  async onCandidate(p, candidate) {
    try {
      await p.pc.addIceCandidate(candidate);
    } catch (err) {
      if (!p.ignoreOffer) console.warn("video: candidate refused", err);
    }
  }

  makeTile() {
    const tile = this.template.content.firstElementChild.cloneNode(true);
    this.remoteBox.append(tile);
    return tile;
  }

  setInfo(p, info) {
    p.info = info;
    p.tile.dataset.peer = info.id;
    p.tile.dataset.role = info.role;
    p.tile.querySelector("figcaption").textContent =
      info.name ? `${info.name} · ${info.role_label}` : info.role_label;
    // The doctor's "Fjern" next to a guest.
    const remove = p.tile.querySelector(".remove-guest");
    if (remove) {
      remove.hidden = !(this.onRemove && info.role === "guest");
      remove.setAttribute("aria-label", (this.t.tRemove || "").replace("%(name)s", info.name));
      remove.onclick = () => this.onRemove?.(info.id, remove);
    }
  }

  removePeer(id, announce) {
    const p = this.peers.get(id);
    if (!p) return;
    clearTimeout(p.awayTimer);
    clearTimeout(p.restartTimer);
    clearTimeout(p.answerTimer);
    clearTimeout(p.retryTimer);
    p.pc.close();
    p.tile.remove();
    this.peers.delete(id);
    if (announce && this.peers.size === 0) this.leftNotice = true;
    this.render();
  }

  status(text, isProblem = false) {
    this.statusEl.textContent = text || "";
    this.statusEl.classList.toggle("down", isProblem);
  }

  render() {
    if (this.stopped) return;
    this.remoteBox.dataset.count = this.peers.size;
    const reconnecting = this.socketDown || [...this.peers.values()].some((p) => p.reconnecting);
    if (reconnecting) this.status(this.t.tReconnecting, true);
    else if (this.peers.size === 0) this.status(this.leftNotice ? this.t.tLeft : this.t.tWaiting);
    else this.status("");
  }

  setMuted(muted) { this.local?.getAudioTracks().forEach((t) => { t.enabled = !muted; }); }

  setCameraOff(off) { this.local?.getVideoTracks().forEach((t) => { t.enabled = !off; }); }

  leave() {
    if (this.stopped) return;
    this.send({ type: "leave" });
    this.stop();
  }

  stop() {
    if (this.stopped) return;
    this.stopped = true;
    for (const id of [...this.peers.keys()]) this.removePeer(id, false);
    clearInterval(this.qualityTimer);
    this.local?.getTracks().forEach((t) => t.stop());
    this.socket?.close();
  }
}

// The buttons every side has: mute and camera off.
export function wireControls(panel, call) {
  const t = panel.dataset;
  const mic = panel.querySelector("#toggle-mic");
  const cam = panel.querySelector("#toggle-camera");
  mic.addEventListener("click", () => {
    const muted = mic.getAttribute("aria-pressed") !== "true";
    call.setMuted(muted);
    mic.setAttribute("aria-pressed", String(muted));
    mic.textContent = muted ? t.tUnmute : t.tMute;
  });
  cam.addEventListener("click", () => {
    const off = cam.getAttribute("aria-pressed") !== "true";
    call.setCameraOff(off);
    cam.setAttribute("aria-pressed", String(off));
    cam.textContent = off ? t.tCameraOn : t.tCameraOff;
  });
}
