// The employee's consultation page: the call runs while the consultation is "admitted"
// (consultation.js keeps data-state live), and "Log borger ud" leaves nothing behind.
import { VideoCall, wireControls } from "./call.js";

const root = document.getElementById("consultation");
const panel = document.getElementById("call");
let call = null;

function follow() {
  const admitted = root.dataset.state === "admitted";
  if (admitted && !call) {
    call = new VideoCall(panel);
    window.klVideo = call;
    call.start();
  } else if (!admitted && call) {
    call.stop();
    call = null;
  }
}

wireControls(panel, { setMuted: (m) => call?.setMuted(m), setCameraOff: (o) => call?.setCameraOff(o) });
new MutationObserver(follow).observe(root, { attributes: true, attributeFilter: ["data-state"] });
follow();

// "Log borger ud": clear the browser's storage and replace this page in the history, so
// neither Back nor storage brings the citizen's name or CPR back.
const logout = document.getElementById("log-out-citizen")?.form;
logout?.addEventListener("submit", async (event) => {
  event.preventDefault();
  call?.stop();
  sessionStorage.clear();
  localStorage.clear();
  try {
    await fetch(logout.action, {
      method: "POST", body: new FormData(logout), credentials: "same-origin", redirect: "manual",
    });
  } finally {
    location.replace(panel.dataset.afterLogout);
  }
});
