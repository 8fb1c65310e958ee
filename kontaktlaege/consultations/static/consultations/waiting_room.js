// The clinic's live waiting room: renders snapshots, alerts on new arrivals, and posts
// admit / reject / message / open / close without leaving the page.
import { LiveSocket, minutesSince, postForm } from "/static/kl/live.js";

const root = document.getElementById("waiting-room");
const list = document.getElementById("entries");
const template = document.getElementById("entry-template");
const connection = document.getElementById("connection");
const errorBox = document.getElementById("room-error");
const soundToggle = document.getElementById("sound-toggle");
const baseTitle = document.title; // "(n) " is put before it while people wait
const ACTION_URLS = {
  admit: (id) => `/klinik/konsultation/${id}/start/`,
  reject: (id) => `/klinik/konsultation/${id}/afvis/`,
  message: (id) => `/klinik/konsultation/${id}/besked/`,
  end: (id) => `/klinik/konsultation/${id}/afslut/`,
  phone: (id) => `/klinik/konsultation/${id}/telefon/`,
};
const videoUrl = (id) => `/klinik/konsultation/${id}/video/`;

let known = null; // ids seen in the previous snapshot; null before the first one
let soundOn = false;
let audio = null;
let clockSkew = 0;

function beep() {
  if (!soundOn) return;
  audio = audio || new AudioContext();
  const osc = audio.createOscillator();
  const gain = audio.createGain();
  osc.frequency.value = 880;
  gain.gain.setValueAtTime(0.2, audio.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
  osc.connect(gain).connect(audio.destination);
  osc.start();
  osc.stop(audio.currentTime + 0.6);
}

function fill(node, entry) {
  node.dataset.id = entry.id;
  node.className = `entry ${entry.state}`;
  node.querySelector(".pos").textContent = entry.position ? `#${entry.position}` : "";
  node.querySelector(".kind").textContent = entry.kind_label;
  const booked = node.querySelector(".booked");
  booked.textContent = entry.booked_label || "";
  booked.hidden = !entry.booked_label;
  node.querySelector(".citizen").textContent = entry.citizen_name;
  node.querySelector(".cpr").textContent = entry.citizen_cpr;
  const ydernummer = entry.ydernummer ? `${root.dataset.tYdernummer} ${entry.ydernummer}` : "";
  node.querySelector(".doctor").textContent =
    [entry.doctor, ydernummer].filter(Boolean).join(" · ") || "–";
  node.querySelector(".employee").textContent = entry.employee_name || "–";
  node.querySelector(".role").textContent = entry.employee_role || "–";
  node.querySelector(".workplace").textContent = entry.employee_workplace || "–";
  node.querySelector(".state").textContent = entry.state_label
    + (entry.admitted_by ? ` (${entry.admitted_by})` : "")
    + (entry.phone_fallback ? ` · ${root.dataset.tPhone}` : "");
  node.querySelector(".reason").textContent = entry.reason;
  node.querySelector(".offline").hidden = entry.connected;
  node.querySelector(".waited").dataset.since = entry.queued_at;
  node.querySelector(".queued-only").hidden = entry.state !== "queued";
  node.querySelector(".admitted-only").hidden = entry.state !== "admitted";
  // Marked once: the button goes when the consultation went on by phone.
  for (const form of node.querySelectorAll(".phone-fallback")) form.hidden = entry.phone_fallback;
  node.querySelector("[data-video-link]").href = videoUrl(entry.id);
  for (const form of node.querySelectorAll("form[data-action]")) {
    form.action = ACTION_URLS[form.dataset.action](entry.id);
  }
}

function render(data) {
  clockSkew = Date.parse(data.now) - Date.now();
  const status = document.getElementById("room-status");
  status.textContent = data.mode_label;
  status.className = `status-pill ${data.open ? "open" : "closed"}`;
  const existing = new Map([...list.children].map((li) => [li.dataset.id, li]));
  const nodes = data.entries.map((entry) => {
    let node = existing.get(String(entry.id));
    if (!node) {
      node = template.content.firstElementChild.cloneNode(true);
      if (known !== null && !known.has(entry.id)) node.classList.add("new");
    }
    const isNew = node.classList.contains("new");
    fill(node, entry);
    if (isNew) node.classList.add("new");
    return node;
  });
  // Move only what changed place, so a message being typed keeps its focus.
  nodes.forEach((node, i) => {
    if (list.children[i] !== node) list.insertBefore(node, list.children[i] || null);
  });
  while (list.children.length > nodes.length) list.lastElementChild.remove();
  const queued = data.entries.filter((e) => e.state === "queued");
  const arrivals = known === null ? [] : queued.filter((e) => !known.has(e.id));
  known = new Set(data.entries.map((e) => e.id));
  document.getElementById("queue-count").textContent = queued.length;
  document.getElementById("empty").hidden = data.entries.length > 0;
  document.title = queued.length ? `(${queued.length}) ${baseTitle}` : baseTitle;
  if (arrivals.length) {
    beep();
    announce(arrivals);
  }
  tick();
}

// Screen readers: who arrived, read out from the status region (#entries is not one).
function announce(arrivals) {
  const who = arrivals.map((e) => [e.citizen_name, e.kind_label, e.employee_name]
    .filter(Boolean).join(", "));
  document.getElementById("arrivals").textContent =
    `${root.dataset.tArrived} ${who.join("; ")}`;
}

function tick() {
  const now = Date.now() + clockSkew;
  for (const el of list.querySelectorAll(".waited")) {
    if (el.dataset.since) el.textContent = minutesSince(el.dataset.since, now);
  }
}
setInterval(tick, 1000);

const socket = new LiveSocket(root.dataset.socket, {
  onSnapshot: render,
  onStatus: (status) => {
    connection.classList.toggle("down", status === "down" || status === "forbidden");
    connection.textContent = {
      connecting: root.dataset.tConnecting, open: root.dataset.tOpen,
      down: root.dataset.tDown, forbidden: root.dataset.tForbidden,
    }[status] || "";
  },
});
window.klSocket = socket;

async function submit(form) {
  const confirmText = { clear: root.dataset.tConfirmClear, phone: root.dataset.tConfirmPhone };
  if (form.dataset.confirm && !window.confirm(confirmText[form.dataset.confirm])) return;
  errorBox.hidden = true;
  const entryId = form.closest("li")?.dataset.id;
  try {
    await postForm(form);
    form.reset();
    // "Start" opens the call right away.
    if (form.dataset.action === "admit") location.assign(videoUrl(entryId));
  } catch (err) {
    errorBox.textContent = err.message;
    errorBox.hidden = false;
  }
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  if (form.matches("[data-live], form[data-action]")) {
    event.preventDefault();
    submit(form);
  }
});

soundToggle.addEventListener("click", () => {
  soundOn = !soundOn;
  soundToggle.setAttribute("aria-pressed", String(soundOn));
  if (soundOn) beep();
});
