// kefu 管理: agents, knowledge status, "try the bot". Plain JS; server text only via textContent.
'use strict';

const TOKEN_KEY = 'kefu.agent.token';
const $ = (sel, root = document) => root.querySelector(sel);

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
function fmtTime(ms) {
  if (!ms) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}
const splitList = (text) => [...new Set(text.split(/[,，;；\s]+/).map((t) => t.trim()).filter(Boolean))];

const ROLE = { agent: '客服', admin: '管理员' };
const STATUS = { online: '在线', away: '离开', offline: '离线' };
const STATUS_TEXT = { 400: '请求有误', 401: '未登录或登录已过期', 403: '没有权限', 404: '不存在', 409: '操作冲突', 503: '服务暂不可用' };

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let token = sessionStorage.getItem(TOKEN_KEY);
let me = null;
let agents = [];

async function api(method, path, body) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network', '网络错误，请检查连接后重试');
  }
  let data = null;
  try { data = await res.json(); } catch { /* empty body */ }
  if (!res.ok) {
    const prefix = STATUS_TEXT[res.status] || (res.status >= 500 ? '服务器错误' : `错误 ${res.status}`);
    const error = new ApiError(res.status, data?.error || `http_${res.status}`, data?.message ? `${prefix}：${data.message}` : prefix);
    if (res.status === 401 && path !== '/auth/login' && token) signedOut('登录已过期，请重新登录');
    throw error;
  }
  return data;
}

function toast(text, { kind = 'info', action } = {}) {
  const item = el('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : undefined },
    el('span', { class: 'toast-text', text }),
    action && el('button', { class: 'btn link', type: 'button', text: action.label, onclick: () => { item.remove(); action.fn(); } }),
    el('button', { class: 'toast-x', type: 'button', 'aria-label': '关闭提示', text: '×', onclick: () => item.remove() }));
  const box = $('#toasts');
  box.append(item);
  while (box.children.length > 3) box.firstElementChild.remove();
  setTimeout(() => item.remove(), kind === 'error' ? 9000 : 4000);
}
const toastError = (error) => toast(error.message || String(error), { kind: 'error' });

function showFormError(form, error) {
  const box = $('.form-error', form);
  box.textContent = error ? (error.message || String(error)) : '';
  box.hidden = !error;
}

// ---------- session ----------
function showLogin(message) {
  $('#app').hidden = true;
  $('#login-view').hidden = false;
  $('#login-error').textContent = message || '';
  $('#login-error').hidden = !message;
  $('#login-username').focus();
}

function signedOut(message) {
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  showLogin(message);
}

async function boot() {
  if (!token) return showLogin();
  try {
    const { agent } = await api('GET', '/me');
    start(agent);
  } catch (error) {
    showLogin(error.status === 401 ? '' : error.message);
  }
}

$('#login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('#login-submit').disabled = true;
  try {
    const data = await api('POST', '/auth/login', { username: $('#login-username').value.trim(), password: $('#login-password').value });
    token = data.token;
    sessionStorage.setItem(TOKEN_KEY, token);
    $('#login-password').value = '';
    start(data.agent);
  } catch (error) {
    showLogin(error.status === 401 ? '用户名或密码错误' : error.message);
  } finally {
    $('#login-submit').disabled = false;
  }
});

async function logout() {
  try { await api('POST', '/auth/logout'); } catch { /* gone either way */ }
  signedOut();
}
$('#logout').addEventListener('click', logout);
$('#denied-logout').addEventListener('click', logout);

function start(agent) {
  me = agent;
  $('#login-view').hidden = true;
  $('#app').hidden = false;
  $('#me-name').textContent = agent.display_name || agent.username;
  const admin = agent.role === 'admin';
  $('#admin-denied').hidden = admin;
  $('#admin-main').hidden = !admin;
  if (!admin) return;
  loadAgents();
  loadKnowledge();
}

// ---------- agents ----------
async function loadAgents() {
  try {
    const data = await api('GET', '/admin/agents');
    agents = data.agents || [];
    renderAgents();
  } catch (error) {
    if (error.status === 403) return denied();
    toastError(error);
  }
}

function denied() {
  $('#admin-denied').hidden = false;
  $('#admin-main').hidden = true;
}

function renderAgents() {
  const online = agents.filter((a) => a.status === 'online' && !a.disabled).length;
  $('#agents-summary').textContent = `共 ${agents.length} 个账号 · ${online} 人在线`;
  $('#agents-body').replaceChildren(...agents.map((a) => {
    const self = a.id === me.id;
    return el('tr', { class: `agent-row${a.disabled ? ' disabled' : ''}`, dataset: { id: a.id, username: a.username } },
      el('td', { class: 'mono name', text: a.username }),
      el('td', {}, a.display_name, self ? el('span', { class: 'muted small', text: '（我）' }) : null),
      el('td', {}, el('span', { class: a.role === 'admin' ? 'pill ts-open' : 'pill', text: ROLE[a.role] || a.role })),
      el('td', {}, (a.groups || []).length ? a.groups.map((g) => el('span', { class: 'tag', text: g })) : el('span', { class: 'muted', text: '—' })),
      el('td', { class: 'mono', text: String(a.max_concurrent) }),
      el('td', {}, el('span', { class: `state-pill ${a.status === 'online' ? 'st-human' : a.status === 'away' ? 'st-queued' : 'st-closed'}`, text: STATUS[a.status] || a.status })),
      el('td', {}, a.disabled ? el('span', { class: 'pill pr-high', text: '已停用' }) : el('span', { class: 'pill ts-solved', text: '正常' })),
      el('td', {}, el('div', { class: 'actions' },
        el('button', { class: 'btn small agent-edit', type: 'button', text: '编辑', 'aria-label': `编辑 ${a.username}`, onclick: () => openEdit(a) }),
        el('button', { class: 'btn small agent-reset', type: 'button', text: '重置密码', 'aria-label': `重置 ${a.username} 的密码`, onclick: () => openReset(a) }),
        el('button', { class: `btn small agent-toggle${a.disabled ? '' : ' danger-ghost'}`, type: 'button', disabled: self,
          title: self ? '不能停用自己' : '', text: a.disabled ? '启用' : '停用', 'aria-label': `${a.disabled ? '启用' : '停用'} ${a.username}`,
          onclick: () => toggleAgent(a) }))));
  }));
}

async function patchAgent(id, patch) {
  const { agent } = await api('PATCH', `/admin/agents/${id}`, patch);
  const at = agents.findIndex((a) => a.id === id);
  if (at >= 0) agents[at] = agent;
  renderAgents();
  return agent;
}

async function toggleAgent(agent) {
  const disabled = !agent.disabled;
  try {
    await patchAgent(agent.id, { disabled });
    toast(disabled ? `已停用 ${agent.username}，其无法再登录` : `已启用 ${agent.username}`, {
      kind: 'ok',
      action: { label: '撤销', fn: () => patchAgent(agent.id, { disabled: !disabled }).catch(toastError) },
    });
  } catch (error) {
    toastError(error);
  }
}

$('#new-agent').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const body = {
    username: $('#na-username').value.trim(),
    password: $('#na-password').value,
    display_name: $('#na-display').value.trim() || null,
    role: $('#na-role').value,
    groups: splitList($('#na-groups').value),
  };
  const max = $('#na-max').value.trim();
  if (max) body.max_concurrent = Number(max);
  if (!body.display_name) delete body.display_name;
  $('#na-submit').disabled = true;
  try {
    const { agent } = await api('POST', '/admin/agents', body);
    form.reset();
    showFormError(form, null);
    agents.push(agent);
    renderAgents();
    toast(`已创建账号 ${agent.username}`, { kind: 'ok' });
    $('#na-username').focus();
  } catch (error) {
    showFormError(form, error);
  } finally {
    $('#na-submit').disabled = false;
  }
});

document.querySelectorAll('dialog [data-dismiss]').forEach((b) => b.addEventListener('click', () => b.closest('dialog').close()));

let editing = null;

function openEdit(agent) {
  editing = agent;
  $('#edit-title').textContent = `编辑客服 ${agent.username}`;
  $('#ed-display').value = agent.display_name || '';
  $('#ed-role').value = agent.role;
  $('#ed-role').disabled = agent.id === me.id;
  $('#ed-groups').value = (agent.groups || []).join('，');
  $('#ed-max').value = String(agent.max_concurrent);
  showFormError($('#edit-form'), null);
  $('#edit-dialog').showModal();
}

$('#edit-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const patch = {
    display_name: $('#ed-display').value.trim(),
    groups: splitList($('#ed-groups').value),
    max_concurrent: Number($('#ed-max').value),
  };
  if (editing.id !== me.id) patch.role = $('#ed-role').value;
  $('#ed-submit').disabled = true;
  try {
    await patchAgent(editing.id, patch);
    $('#edit-dialog').close();
    toast('已保存', { kind: 'ok' });
  } catch (error) {
    showFormError(form, error);
  } finally {
    $('#ed-submit').disabled = false;
  }
});

let resetting = null;

function openReset(agent) {
  resetting = agent;
  $('#reset-who').textContent = `为 ${agent.display_name}（${agent.username}）设置新密码。对方已登录的会话不受影响。`;
  $('#reset-password').value = '';
  showFormError($('#reset-form'), null);
  $('#reset-dialog').showModal();
}

$('#reset-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const password = $('#reset-password').value;
  if (password.length < 8) return showFormError(form, new Error('密码至少 8 位'));
  $('#reset-submit').disabled = true;
  try {
    await patchAgent(resetting.id, { password });
    $('#reset-dialog').close();
    toast(`已重置 ${resetting.username} 的密码`, { kind: 'ok' });
  } catch (error) {
    showFormError(form, error);
  } finally {
    $('#reset-submit').disabled = false;
  }
});

// ---------- knowledge ----------
async function loadKnowledge() {
  const box = $('#knowledge');
  try {
    const k = await api('GET', '/admin/knowledge');
    const errors = k.errors || [];
    box.replaceChildren(
      errors.length
        ? el('div', { id: 'knowledge-errors', class: 'err-box', role: 'alert' },
          el('h3', { text: `知识库有 ${errors.length} 个错误（仍在使用上一次成功加载的版本）` }),
          el('ul', {}, errors.map((e) => el('li', { class: 'mono', text: typeof e === 'string' ? e : JSON.stringify(e) }))))
        : el('div', { class: 'ok-box', text: '✓ 已加载，无错误' }),
      el('div', { class: 'stats' },
        stat(k.entries, '问答条目'), stat(k.flows, '流程'), stat(k.synonym_groups, '同义词组'), stat(k.canned, '快捷回复')),
      el('dl', { class: 'kv' },
        el('dt', { text: '版本' }), el('dd', { class: 'mono', text: k.version || '—' }),
        el('dt', { text: '加载时间' }), el('dd', { text: fmtTime(k.loaded_at) }),
        el('dt', { text: '重新加载' }), el('dd', { text: reloadSummary(k.reload) })),
      el('details', {}, el('summary', { text: `文件（${(k.files || []).length}）` }),
        el('ul', { class: 'file-list mono' }, (k.files || []).map((f) => el('li', { text: f })))));
  } catch (error) {
    box.replaceChildren(el('div', { class: 'err-box', role: 'alert', text: `无法获取知识库状态：${error.message}` }));
  }
}
function reloadSummary(reload) {
  if (!reload) return '—';
  const checked = reload.checked_at ? `，最近检查 ${fmtTime(reload.checked_at)}` : '';
  return `成功 ${reload.reloads} 次，失败 ${reload.failures} 次${checked}`;
}

// A reload that fails keeps the old knowledge; its errors show in the status card.
$('#kn-reload').addEventListener('click', async () => {
  const button = $('#kn-reload');
  button.disabled = true;
  try {
    const result = await api('POST', '/admin/reload');
    toast(result.result === 'swapped' ? `已加载新版本 ${result.version}（${result.took_ms} ms）` : '文件没有变化，无需加载', { kind: 'ok' });
  } catch (error) {
    toastError(error);
  } finally {
    button.disabled = false;
    loadKnowledge();
  }
});

const stat = (value, label) => el('div', { class: 'stat' }, el('b', { text: value ?? '—' }), el('span', { text: label }));
$('#kn-refresh').addEventListener('click', loadKnowledge);

// ---------- try the bot ----------
function handoffLabel(reason) {
  if (!reason) return '';
  return {
    requested: '客户要求转人工', repeated_fallbacks: '多次未识别', repeated_question: `重复提问（${reason.entry}）`,
    entry_needs_human: `需人工处理（${reason.entry}）`, flow: `流程转人工：${reason.detail || reason.flow}`, media: '图片/卡片',
  }[reason.reason] || String(reason.reason || '');
}

function decisionText(d) {
  switch (d?.decision) {
    case 'answer': return d.confidence == null ? ['答', 'ok', d.entry] : [`答 ${Number(d.confidence).toFixed(2)}`, d.confidence >= 0.8 ? 'ok' : 'mid', `命中条目 ${d.entry}`];
    case 'clarify': return ['澄清', 'mid', `给出选项：${(d.options || []).join('、')}`];
    case 'fallback': return ['未识别', 'low', '机器人会说没听懂，并引导客户换个说法或转人工'];
    case 'welcome': return ['欢迎语', 'info', ''];
    case 'media': return ['媒体', 'info', ''];
    case 'handoff': return ['转人工', 'warn', handoffLabel(d.reason)];
    case 'flow': return [`流程 ${d.flow}`, 'info', d.stage || ''];
    default: return [String(d?.decision ?? '?'), 'info', ''];
  }
}

$('#try-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = $('#try-text').value.trim();
  if (!text) return;
  const box = $('#try-result');
  $('#try-submit').disabled = true;
  box.setAttribute('aria-busy', 'true');
  try {
    renderTry(await api('POST', '/admin/ask', { text }));
  } catch (error) {
    box.replaceChildren(el('div', { class: 'err-box', role: 'alert', text: error.message }));
  } finally {
    $('#try-submit').disabled = false;
    box.removeAttribute('aria-busy');
  }
});

function renderTry(r) {
  const [label, level, why] = decisionText(r.decision);
  const candidates = r.candidates || [];
  $('#try-result').replaceChildren(
    el('div', { class: 'try-decision' },
      el('span', { class: `decision lv-${level}`, id: 'try-decision', text: label }),
      el('span', { text: why }),
      r.runner_up && el('span', { class: 'muted small', text: `次优：${r.runner_up}（置信度差 ${Number(r.confidence_margin ?? 0).toFixed(3)}）` })),
    el('div', { class: 'try-words' }, el('span', { class: 'muted', text: '分词：' }),
      (r.words || []).map((w) => el('span', { class: 'tag', text: w })),
      r.normalized && r.normalized !== r.question ? el('span', { class: 'muted', text: `（归一化：${r.normalized}）` }) : null),
    el('div', {}, el('div', { class: 'muted small', text: '机器人会回复：' }),
      el('div', { class: 'try-replies', id: 'try-replies', text: (r.replies || []).join('\n\n') || '（无回复）' })),
    candidates.length
      ? el('table', { class: 'grid', id: 'try-candidates' },
        el('thead', {}, el('tr', {}, ['#', '条目', '问题', '置信度', '匹配说法'].map((h) => el('th', { text: h })))),
        el('tbody', {}, candidates.map((c, i) => el('tr', { class: 'cand-row', dataset: { entry: c.entry } },
          el('td', { class: 'mono muted', text: String(i + 1) }),
          el('td', { class: 'mono' }, c.entry, c.kind === 'flow' ? el('span', { class: 'tag', text: '流程' }) : null),
          el('td', { text: c.question }),
          el('td', { class: 'mono' },
            el('span', { class: `decision lv-${c.confidence >= 0.8 ? 'ok' : c.confidence >= 0.5 ? 'mid' : 'low'}`, text: Number(c.confidence).toFixed(3) })),
          el('td', {}, c.matched_phrasing || '',
            (c.matched_words || []).length ? el('div', { class: 'muted small', text: `命中词：${c.matched_words.join(' / ')}${c.via_pattern ? ' · 正则' : ''}` }) : null,
            el('details', {}, el('summary', { text: '特征' }),
              el('dl', { class: 'feat mono' }, Object.entries(c.features || {}).flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: String(v) })]),
                el('dt', { text: 'score' }), el('dd', { text: Number(c.score).toFixed(3) }),
                el('dt', { text: 'margin' }), el('dd', { text: Number(c.margin).toFixed(3) }))))))))
      : el('p', { class: 'muted', text: '没有候选条目' }));
}

boot();
