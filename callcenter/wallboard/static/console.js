// The supervisor's console on the wallboard (班长席; never on the wall screen): listen,
// whisper or barge into an agent's call from this page's own softphone (JsSIP through the
// engine's /sip, as the supervisor's supervisor-<name>-web) or the desk phone; force a pause,
// a resume or a sign-out with a reason the agent is shown; the agent's queues for the rest of
// the shift; a waiting caller into another queue. Each is a command of the engine (role
// check, audit row): this page only asks, and shows what the board then says.
"use strict";

const MODES = { listen: "监听", whisper: "耳语", barge: "强插" };
const PHASES = { ringing: "正在呼叫您的话机…", active: "进行中" };
const ACTIONS = { pause: "强制小休", unpause: "恢复接听", logout: "强制签出" };
// skill levels as agents.yaml has them (5 expert … 1 basic); the engine takes penalties
// (penalty = 5 − level: an expert is offered calls first)
const LEVELS = [["", "不接听"], ["5", "5 专家"], ["4", "4"], ["3", "3"], ["2", "2"],
  ["1", "1 基础"]];
const TOP_LEVEL = 5;
const con = { me: "", session: null, expecting: "", ua: null, phone: null, call: null,
  loudest: 0, submit: null, audio: null, analyser: null };

hooks.started = (me) => { con.me = me.user; };
hooks.signedOut = () => { if (con.ua) con.ua.stop(); con.ua = null; };
hooks.board = (board) => showMonitoring(board);

function button(cell, label, action, run) {
  const b = el("button", label);
  b.dataset.action = action;
  b.addEventListener("click", () => run().catch((error) => say(error.message)));
  cell.append(b);
}

hooks.agentRow = (row, a) => {
  const watched = ((wall.board && wall.board.monitoring) || []).filter((m) =>
    m.agent === a.agent && m.phase !== "ended");
  for (const m of watched) row.children[2].append(el("span", `${m.supervisor} ${m.mode_text}`, "tag"));
  const cell = el("td", null, "control");
  if (a.state === "on_call") {
    for (const mode of Object.keys(MODES)) button(cell, MODES[mode], mode, () => monitor(a.agent, mode));
  }
  if (a.state !== "logged_out") {
    if (a.state === "paused") button(cell, "恢复", "unpause", async () => control(a, "unpause"));
    else button(cell, "小休", "pause", async () => control(a, "pause"));
    button(cell, "签出", "logout", async () => control(a, "logout"));
  }
  button(cell, "技能", "skills", () => skills(a));
  row.append(cell);
};

hooks.queueRow = (row, q) => {
  const cell = el("td", null, "control");
  if (q.waiting) button(cell, "调队", "move", async () => move(q));
  row.append(cell);
};

// -- a dialog for what an action needs ------------------------------------------------------

function ask(title, fill, submit) {
  $("act-title").textContent = title;
  $("act-error").textContent = "";
  $("act-body").replaceChildren();
  fill($("act-body"));
  con.submit = submit;
  $("act").showModal();
}
$("act").addEventListener("close", () => { $("act-ok").disabled = false; });

$("act-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("act-ok").disabled = true;
  try {
    say(await con.submit(), true);
    $("act").close();
  } catch (error) {
    $("act-error").textContent = error.message;
  } finally { $("act-ok").disabled = false; }
});
$("act-cancel").addEventListener("click", () => $("act").close());

function field(body, label, input) {
  const wrap = el("label", label);
  wrap.append(input);
  body.append(wrap);
  return input;
}

function agentPath(a, action) {
  return `/api/supervise/agents/${encodeURIComponent(a.agent)}/${action}`;
}

function control(a, action) {
  ask(`${ACTIONS[action]}：${a.agent} ${a.name}`, (body) => {
    const input = el("input");
    input.id = "act-reason";
    input.setAttribute("list", "reasons");
    input.maxLength = 60;
    input.required = action !== "unpause";
    field(body, action === "unpause" ? "说明（可不填，坐席可见）" : "原因（坐席可见）", input);
  }, async () => {
    await api("POST", agentPath(a, action), { reason: $("act-reason").value });
    return `${ACTIONS[action]}：坐席 ${a.agent} 已完成`;
  });
}

async function skills(a) {
  const agents = await api("GET", "/api/agents");
  const now = (agents.find((x) => x.agent === a.agent) || {}).skills || {};
  const queues = (wall.board ? wall.board.queues : []).map((q) => [q.queue, q.title || q.queue]);
  ask(`本班次技能队列：${a.agent} ${a.name}`, (body) => {
    const table = el("table");
    table.id = "act-skills";
    for (const [queue, title] of queues) {
      const select = el("select");
      select.dataset.queue = queue;
      for (const [value, label] of LEVELS) {
        const option = el("option", label);
        option.value = value;
        select.append(option);
      }
      select.value = queue in now ? String(TOP_LEVEL - now[queue]) : "";
      const row = el("tr");
      const cell = el("td");
      cell.append(select);
      row.append(el("td", title), cell);
      table.append(row);
    }
    body.append(el("p", "技能等级 5 为专家（优先接听），1 为基础；仅本班次有效，不改配置文件。", "muted"), table);
  }, async () => {
    const chosen = {};
    for (const select of document.querySelectorAll("#act-skills select")) {
      if (select.value !== "") chosen[select.dataset.queue] = TOP_LEVEL - Number(select.value);
    }
    if (!Object.keys(chosen).length) throw new Error("至少保留一个队列（要停止接听请用 签出）");
    await api("POST", agentPath(a, "skills"), { skills: chosen });
    return `坐席 ${a.agent} 本班次技能队列已调整`;
  });
}

function move(q) {
  const targets = (wall.board ? wall.board.queues : []).filter((t) => t.queue !== q.queue);
  ask(`调整排队：${q.title || q.queue}（${q.waiting} 人等待）`, (body) => {
    const position = el("select");
    position.id = "act-position";
    for (let n = 1; n <= q.waiting; n += 1) {
      const option = el("option", n === 1 ? "第 1 位（等待最久）" : `第 ${n} 位`);
      option.value = String(n);
      position.append(option);
    }
    field(body, "来电 ", position);
    const to = el("select");
    to.id = "act-to";
    for (const t of targets) {
      const option = el("option", `${t.title || t.queue}${t.logged_in ? "" : "（无人签入）"}`);
      option.value = t.queue;
      option.disabled = !t.logged_in;
      to.append(option);
    }
    const first = targets.find((t) => t.logged_in);
    if (first) to.value = first.queue;
    field(body, "转入队列 ", to);
    $("act-ok").disabled = !first;
    if (!first) $("act-error").textContent = "其他队列均无人签入，无法调队";
  }, async () => {
    const moved = await api("POST", "/api/supervise/move-caller", { queue: q.queue,
      position: $("act-position").value, to_queue: $("act-to").value });
    return `已将第 ${moved.position} 位来电转入 ${moved.to}`;
  });
}

// -- monitoring -------------------------------------------------------------------------------

async function monitor(agent, mode) {
  if (con.session) {
    if (con.session.agent === agent) return changeMode(mode);
    throw new Error(`正在监听坐席 ${con.session.agent}：请先结束监听`);
  }
  const device = $("monitor-device").value;
  if (device === "webrtc") await startPhone();
  con.expecting = device === "webrtc" ? agent : "";  // the engine's call for this session
  try {
    con.session = await api("POST", "/api/monitor", { agent, mode, device });
  } catch (error) {
    con.expecting = "";
    throw error;
  }
  showSession();
}

// a session the engine no longer has (404) is over
async function onSession(request) {
  try {
    await request();
  } catch (error) {
    if (error.status === 404) ended("监听已结束");
    else throw error;
  }
}

async function changeMode(mode) {
  if (!con.session) return;
  await onSession(async () => {
    con.session = await api("POST", `/api/monitor/${con.session.session}/mode`, { mode });
    showSession();
  });
}

async function stopMonitor() {
  if (!con.session) return;
  $("monitor-stop").disabled = true;
  try {
    await onSession(() => api("POST", `/api/monitor/${con.session.session}/stop`));
  } finally { if (con.session) $("monitor-stop").disabled = false; }
}

for (const mode of Object.keys(MODES)) {
  $(`mode-${mode}`).addEventListener("click", () => changeMode(mode).catch((e) => say(e.message)));
}
$("monitor-stop").addEventListener("click", () => stopMonitor().catch((e) => say(e.message)));

// what the board says of this page's session: going on, over (and why), or — on a board
// newer than the session — gone
function showMonitoring(board) {
  if (!con.session) return;
  const now = (board.monitoring || []).find((m) => m.session === con.session.session);
  if (now && now.phase === "ended") {
    ended("监听已结束" + (now.reason_text ? "：" + now.reason_text : ""));
  } else if (now) {
    con.session = { ...con.session, ...now };
    showSession();
  } else if (board.now >= con.session.requested_at) {
    ended("监听已结束");
  }
}

function showSession() {
  const s = con.session;
  $("monitor").classList.toggle("live", Boolean(s));
  for (const mode of Object.keys(MODES)) {
    const b = $(`mode-${mode}`);
    b.disabled = !s || s.phase !== "active";
    b.classList.toggle("good", Boolean(s) && s.mode === mode);
  }
  $("monitor-stop").disabled = !s;
  if (s) {
    $("monitor-state").textContent = `坐席 ${s.agent} · ${MODES[s.mode] || s.mode} · ${PHASES[s.phase] || s.phase}`;
  }
}

function ended(text) {
  con.session = null;
  con.expecting = "";
  if (con.call) con.call.terminate();
  showSession();
  $("monitor-state").textContent = text;
}

// -- the browser softphone: answers only the engine's call for a session it asked for ---------

async function startPhone() {
  if (con.ua && con.ua.isRegistered()) return;
  if (!con.phone) {  // one registration at a time (a second click waits for the first)
    if (con.ua) con.ua.stop();
    con.ua = null;
    con.phone = registerPhone(api, (text) => { $("phone-state").textContent = text; },
      incoming).finally(() => { con.phone = null; });
  }
  con.ua = await con.phone;
}

function incoming(call) {
  // only the engine's call for the session this page asked for (it comes as the agent's id)
  if (!con.expecting || con.call || call.remote_identity.uri.user !== con.expecting) {
    call.terminate({ status_code: 486 });
    return;
  }
  con.call = call;
  con.loudest = 0;
  call.on("peerconnection", (e) => attachAudio(e.peerconnection));
  const done = () => { con.call = null; con.expecting = ""; };
  call.on("ended", done);
  call.on("failed", done);
  call.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
  if (call.connection) attachAudio(call.connection);
}

function attachAudio(pc) {
  pc.addEventListener("track", (e) => {
    const audio = $("monitor-audio");
    audio.srcObject = e.streams[0];
    audio.play().catch(() => {});
    // what is heard, by frequency (window.monitorSpectrum)
    if (!con.audio) con.audio = new AudioContext();
    con.analyser = con.audio.createAnalyser();
    con.analyser.fftSize = 8192;
    con.audio.createMediaStreamSource(e.streams[0]).connect(con.analyser);
  });
}

// the level (dB) of each of these frequencies in what this page hears now
window.monitorSpectrum = function (frequencies) {
  if (!con.analyser || !con.call) return null;
  const bins = new Float32Array(con.analyser.frequencyBinCount);
  con.analyser.getFloatFrequencyData(bins);
  const width = con.audio.sampleRate / con.analyser.fftSize;
  return frequencies.map((f) => {
    const at = Math.round(f / width);
    return Math.max(bins[at - 1], bins[at], bins[at + 1]);
  });
};

// what this page hears (tests and diagnostics): the inbound stream with the most packets,
// its level now and the loudest since the call began
window.monitorAudioLevel = async function () {
  const pc = con.call && con.call.connection;
  if (!pc) return null;
  let found = null;
  (await pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "audio" &&
        (!found || s.packetsReceived > found.packets)) {
      found = { packets: s.packetsReceived, level: s.audioLevel || 0 };
    }
  });
  if (found) {
    con.loudest = Math.max(con.loudest, found.level);
    found.loudest = con.loudest;
  }
  return found;
};
