// The browser softphone's self-check (phone-check.html): the signed-in agent's or
// supervisor's SIP account from /api/me/phone, JsSIP registered through the engine's /sip
// WebSocket, an incoming call answered, the audio levels both ways shown (and kept in
// window.phoneCheck for tests).
"use strict";
const $ = (id) => document.getElementById(id);
const two = (n) => String(n).padStart(2, "0");
// what the page knows, for a person and for the automated test (window.phoneCheck)
const check = window.phoneCheck = { signedIn: false, registered: false, call: "none",
  inbound: { packetsReceived: 0, audioLevel: 0, maxAudioLevel: 0, totalAudioEnergy: 0 },
  outbound: { packetsSent: 0, microphoneLevel: 0, maxMicrophoneLevel: 0 }, session: null,
  ua: null };

const cause = phoneCause;  // shared.js: JsSIP's causes, as a person reads them

function show(id, text, kind) {
  const cell = $(id);
  cell.textContent = text;
  cell.className = kind || "";
}
function note(text) {
  const now = new Date();
  $("log").textContent += `${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())}  ${text}\n`;
}

async function start() {
  if (typeof JsSIP === "undefined") {
    show("signin", "浏览器软电话组件未安装：请管理员重新运行系统安装", "bad");
    return;
  }
  const reply = await fetch("/api/me/phone", { credentials: "same-origin" });
  if (reply.status === 401) { show("signin", "未登录：请先登录话务员工作台，再打开本页", "bad"); return; }
  if (reply.status === 403) { show("signin", "只有话务员和班长的账号可以使用浏览器软电话", "bad"); return; }
  if (!reply.ok) {
    const body = await reply.json().catch(() => ({}));
    show("signin", "无法取得软电话账号：" + explainProblem(reply.status, body), "bad");
    return;
  }
  const phone = await reply.json();
  check.signedIn = true;
  const who = phone.agent ? `话务员 工号 ${phone.agent}` : "班长";
  show("signin", `已登录（${who}）`, "ok");
  show("uri", phone.agent ? `工号 ${phone.agent} 的浏览器软电话` : "班长的浏览器软电话");
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new JsSIP.WebSocketInterface(scheme + location.host + phone.ws);
  // no ICE servers: the engine and Asterisk are on this network (a STUN server that does
  // not answer delays every call by ~40 s)
  const ua = check.ua = new JsSIP.UA({ sockets: [socket], uri: phone.uri,
    password: phone.password, register: true, session_timers: false,
    user_agent: "12345-phone-check" });
  ua.on("connected", () => note("已连接电话系统"));
  ua.on("disconnected", () => { note("连接断开"); setRegistered(false, "连接断开"); });
  ua.on("registered", () => setRegistered(true));
  ua.on("unregistered", () => setRegistered(false));
  ua.on("registrationFailed", (e) => setRegistered(false, cause(e.cause)));
  ua.on("newRTCSession", (e) => { if (e.originator === "remote") incoming(e.session); });
  ua.start();
}

function setRegistered(yes, why) {
  check.registered = yes;
  show("registration", yes ? "已注册" : "未注册" + (why ? "（" + why + "）" : ""),
       yes ? "ok" : "bad");
}

function setCall(state, text, kind) {
  check.call = state;
  show("call", text, kind);
  $("answer").disabled = state !== "ringing";
  $("hangup").disabled = state !== "ringing" && state !== "talking";
}

function incoming(session) {
  if (check.session) { session.terminate({ status_code: 486 }); return; }
  check.session = session;
  setCall("ringing", "来电振铃", "wait");
  note("来电");
  session.on("peerconnection", (e) => {
    e.peerconnection.addEventListener("track", (t) => {
      const audio = $("remote");
      audio.srcObject = t.streams[0];
      audio.play().catch(() => note("无法播放对方声音：请点击本页任意处后重试"));
    });
  });
  session.on("confirmed", () => { setCall("talking", "通话中", "ok"); note("已接通"); });
  const over = (why) => {
    setCall("ended", "通话结束" + (why ? "（" + cause(why) + "）" : ""));
    note("通话结束 " + (why ? cause(why) : ""));
    check.session = null;
    $("in-meter").style.width = "0";
  };
  session.on("ended", (e) => over(e.cause));
  session.on("failed", (e) => over(e.cause));
  if ($("auto").checked) answer();
}

function answer() {
  if (!check.session || check.call !== "ringing") return;
  check.session.answer({ mediaConstraints: { audio: true, video: false },
                         pcConfig: { iceServers: [] } });
}

async function measure() {
  const session = check.session;
  if (!session || !session.connection) return;
  const stats = await session.connection.getStats();
  stats.forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "audio") {
      const level = s.audioLevel || 0;
      check.inbound = { packetsReceived: s.packetsReceived || 0, audioLevel: level,
        maxAudioLevel: Math.max(check.inbound.maxAudioLevel, level),
        totalAudioEnergy: s.totalAudioEnergy || 0 };
      $("in-meter").style.width = Math.min(100, Math.round(level * 200)) + "%";
      $("in-stats").textContent = "收到 " + check.inbound.packetsReceived + " 包，音量 " +
        level.toFixed(3) + "（最高 " + check.inbound.maxAudioLevel.toFixed(3) + "）";
    } else if (s.type === "outbound-rtp" && s.kind === "audio") {
      check.outbound.packetsSent = s.packetsSent || 0;
    } else if (s.type === "media-source" && s.kind === "audio") {
      check.outbound.microphoneLevel = s.audioLevel || 0;
      check.outbound.maxMicrophoneLevel = Math.max(check.outbound.maxMicrophoneLevel,
                                                   check.outbound.microphoneLevel);
    }
  });
  $("out-stats").textContent = "已发送 " + check.outbound.packetsSent + " 包，话筒音量 " +
    check.outbound.microphoneLevel.toFixed(3);
}

$("answer").addEventListener("click", answer);
$("hangup").addEventListener("click", () => check.session && check.session.terminate());
setInterval(() => { measure().catch(() => {}); }, 250);
start().catch(() => show("signin", "自检未能开始：请刷新本页重试", "bad"));
