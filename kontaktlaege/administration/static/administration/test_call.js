// The test call: this page's camera and microphone go to a loop-back participant over the
// server's signalling socket and the ICE/TURN servers of a real call, and come back with a
// delay. The page says so when the first returned frame shows.

const root = document.getElementById("test-call");
const texts = root.dataset;
const status = document.getElementById("test-call-status");
const startButton = document.getElementById("test-call-start");
const stopButton = document.getElementById("test-call-stop");
const selfView = document.getElementById("test-call-self");
const echoView = document.getElementById("test-call-echo");
const iceServers = JSON.parse(document.getElementById("test-call-ice").textContent);

// Each side's jitter buffer holds the media this long: about two seconds there and back.
const DELAY_MS = 1000;
let session = null;

function say(text, state) {
  status.textContent = text;
  root.dataset.state = state;
}

function delay(receiver) {
  if ("jitterBufferTarget" in receiver) receiver.jitterBufferTarget = DELAY_MS;
}

async function start() {
  startButton.hidden = true;
  stopButton.hidden = false;
  say(texts.starting, "starting");
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  } catch {
    say(texts.noDevice, "failed");
    stop(false);
    return;
  }
  selfView.srcObject = stream;
  const config = { iceServers, iceTransportPolicy: texts.relayOnly === "1" ? "relay" : "all" };
  const caller = new RTCPeerConnection(config);
  const loopback = new RTCPeerConnection(config);
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}${texts.socket}`);
  session = { stream, caller, loopback, ws };
  const send = (to, data) => ws.send(JSON.stringify({ type: "signal", to, data }));
  caller.onicecandidate = (e) => e.candidate && send("loopback", { candidate: e.candidate.toJSON() });
  loopback.onicecandidate = (e) => e.candidate && send("caller", { candidate: e.candidate.toJSON() });
  caller.oniceconnectionstatechange = () => {
    if (caller.iceConnectionState === "failed") say(texts.failed, "failed");
  };
  caller.ontrack = (event) => {
    delay(event.receiver);
    if (!echoView.srcObject) echoView.srcObject = new MediaStream();
    echoView.srcObject.addTrack(event.track);
    if (event.track.kind === "video") {
      const shown = () => say(texts.ok, "ok");
      if ("requestVideoFrameCallback" in echoView) echoView.requestVideoFrameCallback(shown);
      else echoView.addEventListener("playing", shown, { once: true });
    }
  };
  for (const track of stream.getTracks()) {
    caller.addTransceiver(track, { direction: "sendrecv", streams: [stream] });
  }

  // Messages in the order they come back: a candidate never overtakes its description.
  let queue = Promise.resolve();
  ws.onmessage = (event) => {
    let msg;
    try { msg = JSON.parse(event.data); } catch { return; }
    if (msg.type !== "signal") return;
    queue = queue.then(() => receive(msg.to === "caller" ? caller : loopback, msg.data, send))
      .catch(() => say(texts.failed, "failed"));
  };
  ws.onclose = () => {
    if (session && root.dataset.state === "starting") say(texts.failed, "failed");
  };
  ws.onopen = async () => {
    await caller.setLocalDescription(await caller.createOffer());
    send("loopback", { description: caller.localDescription });
  };
}

async function receive(pc, data, send) {
  if (data.candidate) {
    await pc.addIceCandidate(data.candidate);
    return;
  }
  if (!data.description) return;
  await pc.setRemoteDescription(data.description);
  if (data.description.type !== "offer") return;
  // The loop-back participant: what it receives, it sends back on the same transceiver.
  for (const transceiver of pc.getTransceivers()) {
    transceiver.direction = "sendrecv";
    delay(transceiver.receiver);
    await transceiver.sender.replaceTrack(transceiver.receiver.track);
  }
  await pc.setLocalDescription(await pc.createAnswer());
  send("caller", { description: pc.localDescription });
}

function stop(clear = true) {
  if (session) {
    session.ws.close();
    session.caller.close();
    session.loopback.close();
    session.stream.getTracks().forEach((t) => t.stop());
    session = null;
  }
  selfView.srcObject = null;
  echoView.srcObject = null;
  startButton.hidden = false;
  stopButton.hidden = true;
  if (clear) say("", "ready");
}

startButton.addEventListener("click", start);
stopButton.addEventListener("click", () => stop());
window.addEventListener("pagehide", () => stop(false));
