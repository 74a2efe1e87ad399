// The supervisor's console on the wallboard (班长席; never on the wall screen): listen,
// whisper or barge into an agent's call from this page's own softphone (JsSIP through the
// engine's /sip, as the supervisor's supervisor-<name>-web) or the desk phone; force a pause,
// a resume or a sign-out with a reason the agent is shown; the agent's queues for the rest of
// the shift; a waiting caller into another queue. Each is a command of the engine (role
// check, audit row): this page only asks, and shows what the board then says. Agents and
// queues by their names and titles, never their ids; words from the glossary.
"use strict";

const MODES = GLOSSARY.monitor_mode;
const PHASES = { ringing: "正在呼叫您的话机…", active: "进行中" };
const ACTIONS = { pause: `强制${GLOSSARY.agent_action.pause}`,
  unpause: `恢复${GLOSSARY.agent_action.unpause}`, logout: `强制${GLOSSARY.agent_action.logout}` };
// skill levels as agents.yaml has them (5 expert … 1 basic); the engine takes penalties
// (penalty = 5 − level: an expert is offered calls first)
const LEVELS = [["", "不接听"], ["5", "5 级（专家）"], ["4", "4 级"], ["3", "3 级"],
  ["2", "2 级"], ["1", "1 级（基础）"]];
const TOP_LEVEL = 5;
const con = { me: "", session: null, expecting: "", ua: null, phone: null, call: null,
  loudest: 0, submit: null, audio: null, analyser: null };

hooks.started = (me) => {
  con.me = me.user;
  for (const option of $("monitor-device").options) option.textContent = GLOSSARY.device[option.value];
};
hooks.signedOut = () => { if (con.ua) con.ua.stop(); con.ua = null; };
hooks.board = (board) => showMonitoring(board);

function button(cell, label, action, run, hint) {
  const b = el("button", label);
  b.dataset.action = action;
  if (hint) b.title = hint;
  b.addEventListener("click", () => run().catch((error) => say(error)));
  cell.append(b);
}

function who(a) { return a.name ? `${a.name}（${a.agent}）` : `工号 ${a.agent}`; }

function agentOf(agent) {
  const found = ((wall.board && wall.board.agents) || []).find((a) => a.agent === agent);
  return found ? who(found) : `工号 ${agent}`;
}

hooks.agentRow = (row, a) => {
  const watched = ((wall.board && wall.board.monitoring) || []).filter((m) =>
    m.agent === a.agent && m.phase !== "ended");
  for (const m of watched) {
    row.children[2].append(el("span", `班长${m.supervisor_name || ""} ${m.mode_text}`, "tag"));
  }
  const cell = el("td", null, "control");
  if (a.state === "on_call") {
    for (const mode of Object.keys(MODES)) button(cell, MODES[mode], mode, () => monitor(a.agent, mode));
  }
  if (a.state !== "logged_out") {
    // paused (also during a call, to take effect after it): the supervisor resumes them
    if (a.paused) button(cell, GLOSSARY.agent_action.unpause, "unpause", async () => control(a, "unpause"), "恢复接听");
    else button(cell, GLOSSARY.agent_action.pause, "pause", async () => control(a, "pause"), "强制暂停（通话中则在通话结束后生效）");
    button(cell, GLOSSARY.agent_action.logout, "logout", async () => control(a, "logout"), "强制签出");
  }
  button(cell, "技能", "skills", () => skills(a), "本班次接听的队列与技能等级");
  row.append(cell);
};

hooks.queueRow = (row, q) => {
  const cell = el("td", null, "control");
  if (q.waiting) button(cell, "调队", "move", async () => move(q), "把排队的来电调到其他队列");
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
    sayError($("act-error"), error);
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
  ask(`${ACTIONS[action]}：${who(a)}`, (body) => {
    if (action === "pause" && a.state === "on_call") {
      body.append(el("p", "该话务员正在通话：通话不受影响，结束后保持暂停。", "muted"));
    }
    const input = el("input");
    input.id = "act-reason";
    input.setAttribute("list", "reasons");
    input.maxLength = 60;
    input.required = action !== "unpause";
    field(body, action === "unpause" ? "说明（可不填，话务员可见）" : "原因（话务员可见）", input);
  }, async () => {
    await api("POST", agentPath(a, action), { reason: $("act-reason").value });
    return `已${ACTIONS[action]}：${who(a)}`;
  });
}

async function skills(a) {
  const agents = await api("GET", "/api/agents");
  const now = (agents.find((x) => x.agent === a.agent) || {}).skills || {};
  const queues = (wall.board ? wall.board.queues : []).map((q) => [q.queue, q.title || q.queue]);
  ask(`本班次技能队列：${who(a)}`, (body) => {
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
    if (!Object.keys(chosen).length) throw new Error("请至少保留一个队列（要停止接听请用 签出）");
    const done = await api("POST", agentPath(a, "skills"), { skills: chosen });
    return `已调整${who(a)}本班次的技能队列（至 ${shownTime(done.until)}）`;
  });
}

// the callers waiting in the queue (place, hotline dialed, wait, where from — never the
// number), and the queues where someone can answer them
async function move(q) {
  const listed = await api("GET", `/api/supervise/queues/${encodeURIComponent(q.queue)}/waiting`);
  if (!listed.callers.length) throw new Error(`${q.title}已无来电排队`);
  ask(`调队：${q.title}（${listed.callers.length} 人排队）`, (body) => {
    const list = el("table");
    list.id = "act-callers";
    list.append(...listed.callers.map((c, i) => {
      const row = el("tr");
      const pick = el("input");
      pick.type = "radio"; pick.name = "act-caller"; pick.value = c.call; pick.checked = i === 0;
      pick.id = `act-caller-${i}`;
      const choose = el("td");
      choose.append(pick);
      const label = el("label", `第 ${c.position} 位`);
      label.htmlFor = pick.id;
      const place = el("td");
      place.append(label);
      const line = c.hotline ? `${c.dialed} ${c.hotline}` : (c.dialed || "号码未知");
      const wait = el("td", "", "wait");
      wait.dataset.since = c.joined_at;  // the engine's clock, as the board's
      row.append(choose, place, el("td", `拨打 ${line}` + (c.mode_text ? `（${c.mode_text}）` : "")),
        wait, el("td", c.came_from ? c.came_from.text : "直接进入", "muted"));
      row.dataset.call = c.call;
      return row;
    }));
    body.append(el("p", "选择来电（不显示来电号码）：", "muted"), list);
    const to = el("select");
    to.id = "act-to";
    for (const t of listed.targets) {
      const option = el("option", t.title + (t.answering ? `（${t.answering} 人可接听）` : `（${t.unavailable}）`));
      option.value = t.queue;
      option.disabled = !t.answering;
      to.append(option);
    }
    const first = listed.targets.find((t) => t.answering);
    if (first) to.value = first.queue;
    field(body, "调入队列 ", to);
    $("act-ok").disabled = !first;
    if (!first) $("act-error").textContent = "其他队列均无人可接听（无人签入或均暂停、离线），暂不能调队";
    tick();
  }, async () => {
    const chosen = document.querySelector("#act-callers input:checked");
    const moved = await api("POST", "/api/supervise/move-caller", { call: chosen.value,
      to_queue: $("act-to").value });
    return `已将来电（原第 ${moved.position} 位，已等待 ${duration(moved.waited_s)}）`
      + `从${moved.from_title}调入${moved.to_title}`;
  });
}

// -- monitoring -------------------------------------------------------------------------------

async function monitor(agent, mode) {
  if (con.session) {
    if (con.session.agent === agent) return changeMode(mode);
    throw new Error(`您正在监听${agentOf(con.session.agent)}：请先结束监听`);
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
  $(`mode-${mode}`).addEventListener("click", () => changeMode(mode).catch((e) => say(e)));
}
$("monitor-stop").addEventListener("click", () => stopMonitor().catch((e) => say(e)));

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
    $("monitor-state").textContent = `${agentOf(s.agent)} · ${MODES[s.mode] || s.mode} · ${PHASES[s.phase] || s.phase}`;
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

// JsSIP says why a registration failed in English (its causes): said in Chinese here, in
// shared.js's words

function phoneSays(text) {
  const [head, cause] = String(text).split("：");
  if (cause === undefined || CJK.test(cause)) return text;
  return `${head}：${phoneCause(cause)}，请刷新页面后重试`;
}

async function startPhone() {
  if (con.ua && con.ua.isRegistered()) return;
  if (!con.phone) {  // one registration at a time (a second click waits for the first)
    if (con.ua) con.ua.stop();
    con.ua = null;
    con.phone = registerPhone(api, (text) => { $("phone-state").textContent = phoneSays(text); },
      incoming).finally(() => { con.phone = null; });
  }
  try {
    con.ua = await con.phone;
  } catch (error) {
    if (error.status === undefined) throw new Error(phoneSays(error.message));
    throw error;
  }
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
