// The doctor's and the guest's call page: the call, picture-in-picture, invitation links,
// end (doctor) or leave (guest).
import { postForm } from "/static/kl/live.js";
import { VideoCall, wireControls } from "./call.js";

const page = document.getElementById("call-page");
const panel = document.getElementById("call");
const ended = document.getElementById("call-ended");

function showEnded() {
  call.stop();
  panel.hidden = true;
  ended.hidden = false;
  page.dataset.state = "ended";
}

// The doctor removes a guest: the server revokes the invitation and closes their socket;
// the call hears that they left.
const removeForm = document.getElementById("remove-guest-form");
async function removeGuest(peerId, button) {
  removeForm.elements.peer.value = peerId;
  button.disabled = true;
  try {
    await postForm(removeForm);
    call.removePeer(peerId, true);
  } catch (err) {
    button.disabled = false;
    call.status(err.message, true);
  }
}

const call = new VideoCall(panel, { onEnded: showEnded, onRemove: removeForm ? removeGuest : null });
window.klVideo = call;
wireControls(panel, call);
call.start();

const pip = document.getElementById("pip");
if (pip) {
  pip.hidden = !document.pictureInPictureEnabled;
  pip.addEventListener("click", async () => {
    const video = panel.querySelector("#remote-videos video");
    try {
      if (document.pictureInPictureElement) await document.exitPictureInPicture();
      else if (video) await video.requestPictureInPicture();
    } catch (err) {
      call.status(err.message, true);
    }
  });
}

const inviteForm = document.getElementById("invite-form");
inviteForm?.addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const body = await postForm(inviteForm);
    const box = document.getElementById("invite-result");
    const input = document.getElementById("invite-url");
    input.value = body.url;
    document.getElementById("invite-expiry").textContent =
      new Date(body.expires_at).toLocaleTimeString(document.documentElement.lang);
    box.hidden = false;
    input.select();
  } catch (err) {
    call.status(err.message, true);
  }
});

const endForm = document.getElementById("end-call");
endForm?.addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await postForm(endForm);
    showEnded();
  } catch (err) {
    call.status(err.message, true);
  }
});

// "Fortsat over telefon" (doctor): recorded once; the call page stays until it is ended.
const phoneForm = document.getElementById("phone-fallback");
phoneForm?.addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await postForm(phoneForm);
    phoneForm.hidden = true;
    document.getElementById("phone-fallback-done").textContent = panel.dataset.tPhoneDone;
  } catch (err) {
    call.status(err.message, true);
  }
});

document.getElementById("leave-call")?.addEventListener("click", () => {
  call.leave();
  showEnded();
});
