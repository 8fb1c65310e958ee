// The waiting person's page: live queue number, doctor's messages and the outcome.
import { LiveSocket, postForm } from "/static/kl/live.js";

const root = document.getElementById("consultation");
const connection = document.getElementById("connection");
const baseTitle = document.title; // "(n) " is put before it while waiting

function render(data) {
  root.dataset.state = data.state;
  for (const el of root.querySelectorAll("[data-show]")) {
    el.hidden = !el.dataset.show.split(" ").includes(data.state);
  }
  const number = document.getElementById("queue-number");
  const position = data.position == null ? "" : String(data.position);
  if (number.textContent !== position) number.textContent = position;
  document.getElementById("room-closed").hidden = !data.room_closed;
  document.getElementById("reject-message").textContent = data.reject_message || "";
  document.getElementById("notice").textContent = data.notice || "";
  renderPhoneFallback(data);
  // Only new messages are added: the list is a live region, and what is re-added is re-read.
  const list = document.getElementById("doctor-messages");
  const shown = [...list.children].map((li) => li.textContent);
  const texts = data.messages.map((m) => m.text);
  const kept = shown.every((text, i) => texts[i] === text) ? shown.length : 0;
  if (kept === 0) list.replaceChildren();
  for (const text of texts.slice(kept)) {
    const li = document.createElement("li");
    li.textContent = text;
    list.append(li);
  }
  document.title = data.state === "queued" && data.position
    ? `(${data.position}) ${baseTitle}` : baseTitle;
}

// Only the employee's page offers "Vi fortsatte over telefon".
function renderPhoneFallback(data) {
  const form = document.getElementById("phone-fallback-form");
  if (!form) return;
  form.hidden = data.phone_fallback || !["queued", "admitted"].includes(data.state);
  const phoneDone = data.phone_fallback ? root.dataset.tPhoneDone : "";
  const done = document.getElementById("phone-fallback-done");
  if (done.textContent !== phoneDone) done.textContent = phoneDone;
}

const socket = new LiveSocket(root.dataset.socket, {
  onSnapshot: render,
  onStatus: (status) => {
    connection.classList.toggle("down", status === "down");
    connection.textContent = {
      connecting: root.dataset.tConnecting, open: root.dataset.tOpen,
      down: root.dataset.tDown, forbidden: root.dataset.tForbidden,
    }[status] || "";
  },
});
window.klSocket = socket;

for (const form of root.querySelectorAll("form[data-live]")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // Only a waiting person leaves the queue by it; ask first.
    if (form.dataset.confirm && root.dataset.state === "queued"
      && !window.confirm(form.dataset.confirm)) return;
    try {
      await postForm(form);
      socket.send({ type: "sync" });
    } catch (err) {
      connection.textContent = err.message;
      connection.classList.add("down");
    }
  });
}
