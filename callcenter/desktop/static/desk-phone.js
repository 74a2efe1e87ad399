// The agent desktop's phone: the browser softphone (JsSIP through the engine's /sip), kept
// registered while the agent is signed in with it — at page load too (a reload re-registers
// within a second or two) — the banner while the engine says the phone is offline (no calls
// are offered then), and a call ringing: ringtone, title, browser notification.
"use strict";

const RETRY_S = [2, 4, 8, 15, 30];  // between registration attempts while signed in
const phone = { starting: null, retries: 0, retryTimer: null };

// -- registration ---------------------------------------------------------------------------

function showPhoneState(text, registered) {
  const shown = $("phone-state");
  shown.textContent = text;
  shown.className = registered ? "muted" : "bad";
}

async function startPhone() {
  if (desk.ua) return;
  if (!phone.starting) {  // one registration at a time (a second click waits for the first)
    showPhoneState("软电话正在注册…", false);
    phone.starting = registerPhone(api, showPhoneState, ringing)
      .finally(() => { phone.starting = null; });
  }
  desk.ua = await phone.starting;
  phone.retries = 0;
}

function stopPhone(why) {
  clearTimeout(phone.retryTimer);
  if (desk.ua) {
    desk.ua.removeAllListeners();  // what it says while it unregisters is not news: why is
    desk.ua.stop();
  }
  desk.ua = null;
  showPhoneState(why, false);
}

// Signed in with the browser softphone and it is not registered: register again, and again
// (with growing pauses) until it is — the page is the agent's phone.
function keepPhone() {
  clearTimeout(phone.retryTimer);
  if (desk.state === "logged_out" || desk.device !== "webrtc" || desk.ua || phone.starting) return;
  startPhone().catch((error) => {
    if (desk.state === "logged_out") { showPhoneState("软电话未注册", false); return; }
    phone.retries += 1;
    const wait = RETRY_S[Math.min(phone.retries - 1, RETRY_S.length - 1)];
    showPhoneState(`${error.message} ${wait} 秒后重试（第 ${phone.retries} 次）`, false);
    phone.retryTimer = setTimeout(keepPhone, wait * 1000);
    phoneChanged();
  });
}

$("phone-retry").addEventListener("click", () => {
  phone.retries = 0;
  if (desk.ua && !desk.ua.isRegistered()) { desk.ua.stop(); desk.ua = null; }
  keepPhone();
});

// The engine's word on the phone (agent rows' "phone") decides the banner: while the
// device the agent signed in with is not registered, no call is offered to them.
function phoneChanged() {
  if (desk.state !== "logged_out" && desk.device === "webrtc") keepPhone();
  const offline = desk.state !== "logged_out" && desk.phone !== "online";
  $("phone-banner").hidden = !offline;
  if (!offline) return;
  const after = desk.offlineLogoutS ? `超过 ${desk.offlineLogoutS} 秒仍未恢复，系统会将您签出。` : "";
  if (desk.device === "sip") {
    $("phone-banner-title").textContent = "桌面话机未注册";
    $("phone-banner-text").textContent = `在恢复之前不会为您分配来电。请检查桌面话机的电源和网络并确认其已注册；或签出后改用浏览器软电话签入。${after}`;
    $("phone-retry").hidden = true;
    return;
  }
  $("phone-banner-title").textContent = "软电话未连接";
  const trying = phone.starting || phone.retries ? "正在重新连接…" : "";
  $("phone-banner-text").textContent = `在恢复之前不会为您分配来电。${trying}请保持本页打开；若长时间未恢复，请检查网络后点“重新连接”，或刷新页面。${after}`;
  $("phone-retry").hidden = false;
}

// -- a call on the browser softphone ------------------------------------------------------------

function ringing(session) {
  desk.session = session;
  $("answer").disabled = false; $("hangup").disabled = false;
  startRinging(desk.call);
  session.on("ended", phoneIdle); session.on("failed", phoneIdle);
  session.on("accepted", stopRinging);
  session.on("peerconnection", (e) => attachAudio(e.peerconnection));
}

function attachAudio(pc) {
  pc.addEventListener("track", (e) => {
    const audio = $("remote-audio");
    audio.srcObject = e.streams[0];
    audio.play().catch(() => {});
  });
}

function phoneIdle() {
  desk.session = null; desk.loudest = 0; desk.muted = false; desk.held = false;
  stopRinging();
  for (const id of ["answer", "hangup", "mute", "hold"]) $(id).disabled = true;
  $("mute").textContent = "静音"; $("hold").textContent = "保持";
}

function answer() {
  if (!desk.session) return;
  stopRinging();
  desk.session.answer({ mediaConstraints: { audio: true, video: false },
    pcConfig: { iceServers: [] } });
  if (desk.session.connection) attachAudio(desk.session.connection);
  $("answer").disabled = true; $("mute").disabled = false; $("hold").disabled = false;
}

$("answer").addEventListener("click", answer);
$("hangup").addEventListener("click", () => { if (desk.session) desk.session.terminate(); });
$("mute").addEventListener("click", () => {
  if (!desk.session) return;
  desk.muted = !desk.muted;
  if (desk.muted) desk.session.mute(); else desk.session.unmute();
  $("mute").textContent = desk.muted ? "取消静音" : "静音";
});
$("hold").addEventListener("click", () => {
  if (!desk.session) return;
  desk.held = !desk.held;
  if (desk.held) desk.session.hold(); else desk.session.unhold();
  $("hold").textContent = desk.held ? "恢复通话" : "保持";
});

// a reload or a closed tab during a call ends the browser softphone's call: ask first
window.addEventListener("beforeunload", (e) => {
  if (desk.session || desk.state === "on_call") { e.preventDefault(); e.returnValue = ""; }
});

// the remote audio as the page receives it (for tests and diagnostics): the stream with the
// most packets, and the loudest level seen so far in this call
window.remoteAudioLevel = async function () {
  const pc = desk.session && desk.session.connection;
  if (!pc) return null;
  let found = null;
  (await pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "audio" &&
        (!found || s.packetsReceived > found.packets)) {
      found = { packets: s.packetsReceived, level: s.audioLevel || 0,
        energy: s.totalAudioEnergy || 0 };
    }
  });
  if (found) {
    desk.loudest = Math.max(desk.loudest || 0, found.level);
    found.loudest = desk.loudest;
  }
  return found;
};

// -- ringing: a ringtone, the title, a browser notification --------------------------------------

const TITLE = document.title;
// what rings now (window.deskRing: for the agent's own diagnostics and the tests)
const ring = window.deskRing = { context: null, tone: null, title: null, notification: null,
  playing: false, notified: [] };

// Within a click: the browser lets the ringtone play and asks once about notifications.
function prepareRinging() {
  if (!ring.context && window.AudioContext) ring.context = new AudioContext();
  if (ring.context && ring.context.state === "suspended") {
    ring.context.resume().then(() => { $("sound-hint").hidden = true; }, () => {});
  }
  if (window.Notification && Notification.permission === "default") {
    Notification.requestPermission().catch(() => {});
  }
  $("sound-hint").hidden = true;
}
$("sound-hint").addEventListener("click", prepareRinging);

function beep() {
  const context = ring.context;
  if (!context || context.state !== "running") return;
  for (const [start, frequency] of [[0, 880], [0.45, 660]]) {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.frequency.value = frequency;
    gain.gain.value = 0.15;
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(context.currentTime + start);
    oscillator.stop(context.currentTime + start + 0.4);
  }
}

function startRinging(call) {
  if (ring.playing) return;
  ring.playing = true;
  if (!ring.context || ring.context.state !== "running") $("sound-hint").hidden = false;
  beep();
  ring.tone = setInterval(beep, 2000);
  let on = false;
  ring.title = setInterval(() => {
    on = !on;
    document.title = on ? "【来电振铃】12345 话务员工作台" : TITLE;
  }, 700);
  const body = call ? `拨打 ${call.dialed || ""} · ${call.queue_title || ""}` : "请接听";
  if (window.Notification && Notification.permission === "granted") {
    ring.notification = new Notification("12345 来电振铃", { body, tag: "12345-ringing",
      requireInteraction: true });
    ring.notification.onclick = () => { window.focus(); ring.notification.close(); };
    ring.notified.push(body);
  }
}

function stopRinging() {
  if (!ring.playing) return;
  ring.playing = false;
  clearInterval(ring.tone); clearInterval(ring.title);
  document.title = TITLE;
  if (ring.notification) ring.notification.close();
  ring.notification = null;
}
