// The connection test for municipal IT: is the server's WebSocket reachable, and does each
// configured STUN/TURN server answer (a server-reflexive or relay ICE candidate)?

const root = document.getElementById("connection-test");
const texts = document.getElementById("check-texts").dataset;
const servers = JSON.parse(document.getElementById("ice-tests").textContent);
const summary = document.getElementById("summary");
const runAgain = document.getElementById("run-again");

const GATHER_MS = 10000;
const SOCKET_MS = 10000;

function setResult(row, status, text) {
  row.dataset.status = status;
  row.querySelector(".result").textContent = text;
}

function testWebSocket() {
  return new Promise((resolve) => {
    const nonce = crypto.getRandomValues(new Uint32Array(2)).join("-");
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    let ws;
    const finish = (ok) => {
      clearTimeout(timer);
      if (ws) ws.close();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), SOCKET_MS);
    try {
      ws = new WebSocket(`${scheme}://${location.host}${root.dataset.socket}`);
    } catch {
      finish(false);
      return;
    }
    ws.onopen = () => ws.send(JSON.stringify({ type: "echo", nonce }));
    ws.onmessage = (event) => {
      let msg;
      try { msg = JSON.parse(event.data); } catch { return; }
      if (msg.type === "echo") finish(msg.nonce === nonce);
    };
    ws.onerror = () => finish(false);
    ws.onclose = () => finish(false);
  });
}

// Gather candidates with only this server; resolve with the first candidate of the wanted type.
function gather(ice, wanted) {
  return new Promise((resolve) => {
    let pc;
    let timer;
    const finish = (address) => {
      clearTimeout(timer);
      if (pc) pc.close();
      resolve(address);
    };
    timer = setTimeout(() => finish(null), GATHER_MS);
    try {
      pc = new RTCPeerConnection({
        iceServers: [ice],
        iceTransportPolicy: wanted === "relay" ? "relay" : "all",
      });
    } catch {
      finish(null);
      return;
    }
    pc.onicecandidate = (event) => {
      const c = event.candidate;
      if (!c) {
        finish(null); // gathering complete without the wanted candidate
        return;
      }
      if (c.type === wanted || c.candidate.includes(` typ ${wanted} `)) {
        finish(`${c.address || c.candidate.split(" ")[4]}:${c.port || c.candidate.split(" ")[5]}`);
      }
    };
    pc.createDataChannel("forbindelsestest");
    pc.createOffer().then((offer) => pc.setLocalDescription(offer)).catch(() => finish(null));
  });
}

async function testServer(row, server) {
  if (!window.RTCPeerConnection) {
    setResult(row, "fail", texts.noWebrtc);
    return false;
  }
  const wanted = server.category === "stun" ? "srflx" : "relay";
  const address = await gather(server.ice, wanted);
  if (address) {
    const template = wanted === "srflx" ? texts.stunOk : texts.turnOk;
    setResult(row, "ok", template.replace("%(address)s", address));
  } else {
    // What to open, in the firewall's terms: the port and protocol towards the server.
    const at = server.address.lastIndexOf(":");
    const fail = { stun: texts.stunFail, "turn-udp": texts.turnUdpFail, "turn-tcp": texts.turnTcpFail };
    setResult(row, "fail", fail[server.category]
      .replace("%(host)s", server.address.slice(0, at))
      .replace("%(port)s", server.address.slice(at + 1)));
  }
  return Boolean(address);
}

async function run() {
  runAgain.disabled = true;
  summary.textContent = "";
  const rows = [...root.querySelectorAll("tr[data-index], tr[data-check=websocket]")];
  for (const row of rows) setResult(row, "running", texts.running);

  const socketRow = root.querySelector('tr[data-check="websocket"]');
  const socketTest = testWebSocket().then((ok) => {
    setResult(socketRow, ok ? "ok" : "fail", ok ? texts.websocketOk : texts.websocketFail);
    return ok;
  });
  const serverTests = servers.map((server) =>
    testServer(root.querySelector(`tr[data-index="${server.index}"]`), server)
      .then((ok) => ({ category: server.category, ok })));
  const socketOk = await socketTest;
  const results = await Promise.all(serverTests);

  const works = (category) => results.some((r) => r.category === category && r.ok);
  let verdict;
  if (!socketOk || (results.length && !results.some((r) => r.ok))) verdict = texts.summaryFail;
  else if (works("stun") || works("turn-udp")) verdict = texts.summaryOk;
  else verdict = texts.summaryDegraded;
  summary.textContent = verdict;
  root.dataset.done = "true";
  runAgain.disabled = false;
}

runAgain.addEventListener("click", () => {
  root.dataset.done = "false";
  run();
});
run();
