// kefu 工作台与管理页共用的小工具: DOM helpers, the API wrapper, toasts, sign-in/sign-out.
// Loaded as a classic `defer` script before the page's own script; both share the global scope.
// Contract: the page script defines `signedOut(message)` (what to tear down when the session
// ends) and calls `bindLoginForm(start)` and `resumeSession(start)` with its own start(agent).
// Server/user text only ever goes through textContent.
'use strict';

const TOKEN_KEY = 'kefu.agent.token';

// ---------- small DOM helpers ----------
const $ = (sel, root = document) => root.querySelector(sel);

/** el('div', {class: 'x', dataset: {id: 1}, onclick: fn}, child, 'text') — text children become text nodes. */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== 'string') node[key] = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const pad2 = (n) => String(n).padStart(2, '0');

// ---------- session token ----------
// One sign-in per browser tab, shared by the workbench and the admin page (same key).
const auth = { token: sessionStorage.getItem(TOKEN_KEY) };

function keepToken(token) {
  auth.token = token;
  sessionStorage.setItem(TOKEN_KEY, token);
}

function forgetToken() {
  auth.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
}

// ---------- API ----------
class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// Pages may add their own entries (the workbench names 413).
const STATUS_TEXT = { 400: '请求有误', 401: '未登录或登录已过期', 403: '没有权限', 404: '不存在', 409: '操作冲突', 503: '服务暂不可用' };

// `{ text: true }`: the answer's body as text (e.g. a YAML download) instead of JSON.
async function api(method, path, body, { text = false } = {}) {
  const headers = {};
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network', '网络错误，请检查连接后重试');
  }
  if (text && res.ok) return res.text();
  let data = null;
  try { data = await res.json(); } catch { /* empty or non-JSON body */ }
  if (!res.ok) {
    const prefix = STATUS_TEXT[res.status] || (res.status >= 500 ? '服务器错误' : `错误 ${res.status}`);
    const error = new ApiError(res.status, data?.error || `http_${res.status}`, data?.message ? `${prefix}：${data.message}` : prefix);
    if (res.status === 401 && path !== '/auth/login' && auth.token) signedOut('登录已过期，请重新登录');
    throw error;
  }
  return data;
}

// ---------- toasts ----------
function toast(text, { kind = 'info', action } = {}) {
  const box = $('#toasts');
  const item = el('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : undefined },
    el('span', { class: 'toast-text', text }),
    action && el('button', { class: 'btn link', type: 'button', text: action.label, onclick: () => { item.remove(); action.fn(); } }),
    el('button', { class: 'toast-x', type: 'button', 'aria-label': '关闭提示', text: '×', onclick: () => item.remove() }));
  box.append(item);
  // Keep the corner calm: at most three at once.
  while (box.children.length > 3) box.firstElementChild.remove();
  setTimeout(() => item.remove(), kind === 'error' ? 9000 : 4000);
}
const toastError = (error) => toast(error.message || String(error), { kind: 'error' });

function showFormError(form, error) {
  const box = $('.form-error', form);
  box.textContent = error ? (error.message || String(error)) : '';
  box.hidden = !error;
}

// ---------- login / session ----------
function showLogin(message) {
  $('#app').hidden = true;
  $('#login-view').hidden = false;
  const box = $('#login-error');
  box.textContent = message || '';
  box.hidden = !message;
  $('#login-username').focus();
}

/** On load: back into the app with the tab's token, or the login form. */
async function resumeSession(start) {
  if (!auth.token) return showLogin();
  try {
    const { agent } = await api('GET', '/me');
    start(agent);
  } catch (error) {
    showLogin(error.status === 401 ? '' : error.message);
  }
}

/** The login form signs in and calls start(agent). `clearError`: hide the last error while signing in. */
function bindLoginForm(start, { clearError = false } = {}) {
  $('#login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = $('#login-submit');
    button.disabled = true;
    if (clearError) $('#login-error').hidden = true;
    try {
      const data = await api('POST', '/auth/login', { username: $('#login-username').value.trim(), password: $('#login-password').value });
      keepToken(data.token);
      $('#login-password').value = '';
      start(data.agent);
    } catch (error) {
      showLogin(error.status === 401 ? '用户名或密码错误' : error.message);
    } finally {
      button.disabled = false;
    }
  });
}

async function logout() {
  try { await api('POST', '/auth/logout'); } catch { /* the session goes away either way */ }
  signedOut();
}
