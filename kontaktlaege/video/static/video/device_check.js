// The employee's device check before queueing: microphone level, test sound, camera preview,
// tips. One step at a time, each confirmed with "Næste"; media tracks stop when the check ends.

const root = document.getElementById("device-check");
const texts = document.getElementById("media-messages").dataset;
const meter = document.getElementById("mic-level");
const preview = document.getElementById("camera-preview");
const audioOnlyField = document.getElementById("audio-only-field");

let stream = null;
let audio = null; // AudioContext, for the level meter and the test sound
let meterTimer = null;
let cameraProblem = "";
let step = 1;

function section(n) {
  return root.querySelector(`section[data-step="${n}"]`);
}

function show(n, state) {
  // Within a step, show the block for one state: start, working or problem.
  const focused = document.activeElement;
  for (const el of section(n).querySelectorAll("[data-when]")) {
    el.hidden = el.dataset.when !== state;
  }
  // A keyboard user whose button just disappeared goes on from the step's heading.
  if (focused && focused.closest("[hidden]")) section(n).querySelector("h2").focus();
}

function goTo(n) {
  step = n;
  for (const el of root.querySelectorAll("section[data-step]")) {
    el.hidden = el.dataset.step !== String(n);
  }
  for (const li of root.querySelectorAll("#step-list li")) {
    if (li.dataset.step === String(n)) li.setAttribute("aria-current", "step");
    else li.removeAttribute("aria-current");
  }
  if (n === 3) showCamera();
  if (n === 4) stopMedia();
  section(n).querySelector("h2").focus();
}

function problemText(device, error) {
  if (!navigator.mediaDevices?.getUserMedia) return texts.insecure;
  const name = error?.name || "";
  if (name === "NotAllowedError" || name === "SecurityError") return texts[`${device}Denied`];
  if (name === "NotFoundError" || name === "OverconstrainedError") return texts[`${device}Missing`];
  return texts[`${device}Busy`];
}

function showProblem(n, textId, text) {
  const el = document.getElementById(textId);
  el.textContent = text;
  const block = el.parentElement;
  if (!block.querySelector("details")) {
    block.insertBefore(document.getElementById("help-template").content.cloneNode(true), el.nextSibling);
  }
  show(n, "problem");
}

async function getMedia() {
  // Camera and microphone in one request (one permission question on a tablet); without a
  // camera, the microphone alone so the call can go on with sound only.
  try {
    return { media: await navigator.mediaDevices.getUserMedia({ audio: true, video: true }) };
  } catch (both) {
    try {
      const media = await navigator.mediaDevices.getUserMedia({ audio: true });
      return { media, cameraError: both };
    } catch (micError) {
      return { micError };
    }
  }
}

async function start() {
  if (!navigator.mediaDevices?.getUserMedia) {
    showProblem(1, "mic-problem", texts.insecure);
    return;
  }
  stopMedia();
  const { media, cameraError, micError } = await getMedia();
  if (!media) {
    showProblem(1, "mic-problem", problemText("mic", micError));
    return;
  }
  stream = media;
  cameraProblem = cameraError ? problemText("camera", cameraError) : "";
  startMeter();
  show(1, "working");
}

function startMeter() {
  audio = new AudioContext();
  audio.resume();
  const analyser = audio.createAnalyser();
  analyser.fftSize = 1024;
  audio.createMediaStreamSource(stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const heard = document.getElementById("mic-heard");
  meterTimer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    const rms = Math.sqrt(sum / samples.length);
    // -60 dB (silence) .. 0 dB (full scale) onto 0..100.
    const db = rms > 0 ? 20 * Math.log10(rms) : -100;
    const level = Math.round(Math.max(0, Math.min(100, ((db + 60) / 60) * 100)));
    meter.value = level;
    meter.textContent = `${level} %`;
    if (level > 30 && !heard.textContent) heard.textContent = texts.heard;
  }, 100);
}

function playTestSound() {
  if (!audio || audio.state === "closed") audio = new AudioContext();
  audio.resume();
  const now = audio.currentTime;
  const tone = audio.createOscillator();
  const gain = audio.createGain();
  tone.frequency.value = 660;
  gain.gain.setValueAtTime(0, now);
  gain.gain.linearRampToValueAtTime(0.4, now + 0.05);
  gain.gain.setValueAtTime(0.4, now + 1.2);
  gain.gain.linearRampToValueAtTime(0, now + 1.5);
  tone.connect(gain).connect(audio.destination);
  tone.start(now);
  tone.stop(now + 1.5);
}

async function showCamera() {
  const video = stream?.getVideoTracks() || [];
  if (!video.length) {
    showProblem(3, "camera-problem", cameraProblem || texts.cameraMissing);
    return;
  }
  preview.srcObject = stream;
  show(3, "working");
  try {
    await preview.play();
  } catch {
    // Autoplay is muted and inline; a refusal only delays the picture until a tap.
  }
}

async function retryCamera() {
  try {
    const camera = await navigator.mediaDevices.getUserMedia({ video: true });
    for (const track of camera.getVideoTracks()) stream.addTrack(track);
    cameraProblem = "";
    audioOnlyField.value = "0";
  } catch (error) {
    cameraProblem = problemText("camera", error);
  }
  showCamera();
}

function stopMedia() {
  clearInterval(meterTimer);
  meterTimer = null;
  if (stream) for (const track of stream.getTracks()) track.stop();
  stream = null;
  preview.srcObject = null;
  if (audio && audio.state !== "closed") audio.close();
  audio = null;
}

document.getElementById("start-check").addEventListener("click", start);
document.getElementById("retry-mic").addEventListener("click", start);
document.getElementById("play-sound").addEventListener("click", playTestSound);
document.getElementById("retry-camera").addEventListener("click", retryCamera);
document.getElementById("audio-only").addEventListener("click", () => {
  audioOnlyField.value = "1";
  goTo(4);
});
document.getElementById("hear-sound").addEventListener("change", (event) => {
  if (event.target.checked) document.getElementById("speaker-help").hidden = true;
});
for (const button of root.querySelectorAll("[data-next]")) {
  button.addEventListener("click", () => {
    if (step === 2 && !document.getElementById("hear-sound").checked) {
      document.getElementById("speaker-help").hidden = false;
      return;
    }
    goTo(step + 1);
  });
}
// Leaving the page any way (Næste, back, closing the tab) releases camera and microphone.
window.addEventListener("pagehide", stopMedia);
document.getElementById("finish").addEventListener("submit", stopMedia);
