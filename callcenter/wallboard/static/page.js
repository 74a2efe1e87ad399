// What the supervisor's wallboard and the admin page share (loaded after shared.js and
// glossary.js): the engine's API with every refusal in Chinese that says what to do (the
// error id after it, in small print), a message bar whose success notes go away, and times
// in the local zone. No English reaches a person from here: a refusal whose text the engine
// did not write in Chinese is said by its HTTP status.
"use strict";

const $ = (id) => document.getElementById(id);
const DONE_SHOWN_MS = 4000;  // a success note goes away after this
const BY_STATUS = {
  400: "请求有误：请检查填写的内容后重试",
  403: "您的角色无权进行此操作",
  404: "要操作的对象已不存在：请刷新页面后重试",
  405: "请求有误：请刷新页面后重试",
  409: "当前状态不允许此操作：请刷新页面后重试",
  413: "提交的内容过长：请删减后重试",
  429: "尝试次数过多，请 15 分钟后再试",
  503: "系统暂不可用（正在启动或与电话系统的连接中断）：请稍后重试",
};

// The page's words for a refusal: the engine's own message when it is Chinese, else one by
// the status. ``signingIn``: a 401 is a wrong password, not an expired session.
function refusal(status, data, signingIn) {
  if (status === 401) return signingIn ? "用户名或密码不正确，请重新输入。" : "登录已失效，请重新登录。";
  if (status === 429) return BY_STATUS[429];
  const said = typeof data.error === "string" ? data.error : "";
  if (said && CJK.test(said)) return said;
  return BY_STATUS[status] || `操作未成功（状态 ${status}）：请稍后重试`;
}

// A call of the engine's API as the page's person (session cookie, CSRF token); a refusal
// throws an Error in Chinese with ``status`` and ``errorId``.
async function request(page, method, path, body) {
  let errorId = "";
  try {
    return await callApi(method, path, body, page.csrf, (status, data) => {
      errorId = typeof data.error_id === "string" ? data.error_id : "";
      return refusal(status, data, path === "/api/login");
    });
  } catch (error) {
    if (error.status === undefined) {  // the network, not the engine
      const lost = new Error("无法连接系统：请检查网络后重试");
      lost.status = 0;
      throw lost;
    }
    error.errorId = errorId;
    throw error;
  }
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

// ``node`` says ``error``'s message, its error id after it in small print.
function sayError(node, error) {
  node.replaceChildren(document.createTextNode(error.message || String(error)));
  if (error.errorId) node.append(el("small", `（${error.errorId}）`, "error-id"));
}

// The message bar (#message): a refusal stays until the next action, a success note
// (``done``) goes away by itself.
let messageTimer = null;
function say(text, done = false) {
  const bar = $("message");
  clearTimeout(messageTimer);
  if (text instanceof Error) sayError(bar, text);
  else if (text instanceof Node) bar.replaceChildren(text);
  else bar.textContent = text || "";
  bar.hidden = !bar.textContent;
  bar.classList.toggle("ok", done);
  if (done && text) messageTimer = setTimeout(() => { bar.hidden = true; }, DONE_SHOWN_MS);
}

// Text with what a person types exactly (an account name) as <code>: words("停用用户 ",
// {code: "li.ming"}, "？") → a fragment.
function words(...parts) {
  const out = document.createDocumentFragment();
  for (const part of parts) {
    out.append(typeof part === "string" ? document.createTextNode(part) : el("code", part.code));
  }
  return out;
}

function pad(n) { return String(n).padStart(2, "0"); }

// A moment (ISO 8601 in UTC, or seconds since 1970) in the local zone: 2026-11-30 18:00:05.
function shownTime(moment, withDate = true) {
  const at = typeof moment === "number" ? new Date(moment * 1000) : new Date(moment);
  if (Number.isNaN(at.getTime())) return "";
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
  return withDate ? `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${time}` : time;
}

function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}秒`;
  if (s < 3600) return `${Math.floor(s / 60)}分${pad(s % 60)}秒`;
  return `${Math.floor(s / 3600)}时${pad(Math.floor(s / 60) % 60)}分`;
}

function roleName(role) { return GLOSSARY.role[role] || "未知角色"; }
