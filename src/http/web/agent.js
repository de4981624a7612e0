// kefu 工作台: plain JS, no dependencies. Server/user text only ever goes through textContent.
'use strict';

const SEEN_KEY = 'kefu.agent.seen';
const SOUND_KEY = 'kefu.agent.sound';
const TITLE = 'kefu 工作台';

// ---------- small helpers ($, el and the rest shared with the admin page: common.js) ----------
function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

// ---------- formatting (pad2: common.js) ----------
// The workbench's own short time: today "HH:MM", else "MM-DD HH:MM" (with the year when not this year).
function fmtTime(ms) {
  if (!ms) return '';
  const d = new Date(ms);
  const now = new Date();
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  if (d.toDateString() === now.toDateString()) return hm;
  const md = `${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
  return d.getFullYear() === now.getFullYear() ? `${md} ${hm}` : `${d.getFullYear()}-${md} ${hm}`;
}

function fmtAgo(ms) {
  if (!ms) return '';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return `${s} 秒`;
  if (s < 3600) return `${Math.floor(s / 60)} 分钟`;
  if (s < 86400) return `${Math.floor(s / 3600)} 小时`;
  return `${Math.floor(s / 86400)} 天`;
}

function channelLabel(channel) {
  if (!channel) return '';
  if (channel.startsWith('wechat:')) return '微信';
  return { app: 'App', web: '网页' }[channel] || channel;
}

function channelBadge(channel) {
  const kind = channel?.startsWith('wechat:') ? 'wechat' : channel;
  return el('span', { class: `badge ch ch-${kind}`, title: channel, text: channelLabel(channel) });
}

function customerName(customer) {
  if (!customer) return '客户';
  if (customer.display_name && customer.display_name.trim()) return customer.display_name;
  const ext = customer.external_id || '';
  return `访客 ${ext.slice(-6) || '#' + customer.id}`;
}

const STATE_LABEL = { bot: '机器人接待', queued: '排队中', human: '人工接待', closed: '已结束' };
const STATUS_LABEL = { online: '在线', away: '离开', offline: '离线' };
const TICKET_STATUS = { open: '待处理', pending: '等待中', solved: '已解决', closed: '已关闭' };
const PRIORITY = { low: '低', normal: '普通', high: '高', urgent: '紧急' };
const SENDER = { user: '客户', bot: '智能客服', agent: '客服', system: '系统' };
const FLOW_STAGE = { started: '开始', continued: '进行中', finished: '完成', cancelled: '取消' };
const TICKET_WHY = {
  agent: '客服创建', closed_hours: '非工作时间留言', no_agent_online: '无客服在线时留言', queue_timeout: '排队超时转留言',
};

// The workbench's wording (the admin page has its own, shorter labels).
function handoffLabel(reason) {
  if (!reason) return '';
  switch (reason.reason) {
    case 'requested': return '客户要求转人工';
    case 'repeated_fallbacks': return '机器人多次未识别';
    case 'repeated_question': return `重复提问（${reason.entry}）`;
    case 'entry_needs_human': return `需人工处理（${reason.entry}）`;
    case 'flow': return `流程转人工：${reason.detail || reason.flow}`;
    case 'media': return '客户发送了图片/卡片';
    default: return String(reason.reason || '');
  }
}

/** The bot's decision as a short badge: {text, level, title}. */
function decisionBadge(message) {
  const d = message.decision;
  if (!d || typeof d !== 'object') return null;
  switch (d.decision) {
    case 'answer': {
      const c = message.confidence ?? d.confidence;
      if (c === null || c === undefined) return { text: '答 · 客户选择', level: 'ok', title: `条目 ${d.entry}` };
      return { text: `答 ${Number(c).toFixed(2)}`, level: c >= 0.8 ? 'ok' : c >= 0.5 ? 'mid' : 'low', title: `条目 ${d.entry}`, entry: d.entry };
    }
    case 'clarify': return { text: '澄清', level: 'mid', title: `候选：${(d.options || []).join('、')}` };
    case 'fallback': return { text: '未识别', level: 'low', title: '机器人没有理解这条消息' };
    case 'welcome': return { text: '欢迎语', level: 'info', title: '' };
    case 'media': return { text: '媒体', level: 'info', title: '收到图片或卡片' };
    case 'handoff': return { text: '转人工', level: 'warn', title: handoffLabel(d.reason), entry: handoffLabel(d.reason) };
    case 'flow': return { text: `流程 · ${FLOW_STAGE[d.stage] || d.stage || ''}`, level: 'info', title: d.flow, entry: d.flow };
    default: return { text: String(d.decision || '?'), level: 'info', title: '' };
  }
}

// ---------- API: api(), ApiError, STATUS_TEXT, toasts and the session token live in common.js ----------
// The workbench also names 413 (a message too long); the admin page keeps the generic "错误 413".
STATUS_TEXT[413] = '内容太长';

const S = {
  me: null,
  agents: [],
  queue: [],
  mine: [],
  openId: null,
  open: null,
  customerId: null,
  customerDetail: null,
  lastEventId: null,
  seen: JSON.parse(sessionStorage.getItem(SEEN_KEY) || '{}'),
  sound: localStorage.getItem(SOUND_KEY) !== 'off',
  view: 'conv',
  tickets: [],
  ticketId: null,
  ticketDetail: null,
  canned: null,
  cannedAt: 0,
};

// ---------- attention: beep + title ----------
let audio = null;
let flashTimer = null;
let lastBeep = 0;

function beep() {
  if (!S.sound || Date.now() - lastBeep < 1500) return;
  lastBeep = Date.now();
  try {
    audio ||= new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.08, audio.currentTime + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.25);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.26);
  } catch { /* no audio device: the title still flashes */ }
}

function attentionCount() {
  return S.queue.length + S.mine.filter((item) => item.unanswered > 0).length;
}

function updateTitle() {
  if (flashTimer) return;
  const n = attentionCount();
  document.title = n ? `(${n}) ${TITLE}` : TITLE;
  const badge = $('#tab-conv-count');
  badge.textContent = String(n);
  badge.hidden = n === 0;
}

function flashTitle(text) {
  if (document.hasFocus() && !document.hidden) return;
  clearInterval(flashTimer);
  let on = false;
  flashTimer = setInterval(() => {
    on = !on;
    document.title = on ? `【${text}】${TITLE}` : `(${attentionCount()}) ${TITLE}`;
  }, 1000);
}

function stopFlash() {
  clearInterval(flashTimer);
  flashTimer = null;
  updateTitle();
}
window.addEventListener('focus', stopFlash);
document.addEventListener('visibilitychange', () => { if (!document.hidden) stopFlash(); });

function notify(text, conversationId) {
  // The agent is looking at that very conversation: no need to ring.
  if (conversationId && conversationId === S.openId && document.hasFocus() && S.view === 'conv') return;
  beep();
  flashTitle(text);
}

// ---------- login / session (showLogin, logout, resumeSession: common.js) ----------
bindLoginForm(startApp, { clearError: true });

function signedOut(message) {
  forgetToken();
  stopFeed();
  clearInterval(tickTimer);
  showLogin(message);
}

$('#logout').addEventListener('click', logout);

let tickTimer = null;

function startApp(agent) {
  S.me = agent;
  $('#login-view').hidden = true;
  $('#app').hidden = false;
  $('#me-name').textContent = agent.display_name || agent.username;
  $('#admin-link').hidden = agent.role !== 'admin';
  setStatusSelect(agent.status);
  $('#sound').setAttribute('aria-pressed', String(S.sound));
  showView(location.hash === '#tickets' ? 'tickets' : 'conv');
  refreshLists();
  loadAgents();
  startFeed();
  clearInterval(tickTimer);
  // Waiting times move on even when nothing happens.
  tickTimer = setInterval(() => renderLists(), 30000);
}

function setStatusSelect(status) {
  const select = $('#status');
  select.value = status;
  select.dataset.status = status;
}

$('#status').addEventListener('change', async (event) => {
  const select = event.target;
  const previous = S.me.status;
  try {
    const { agent } = await api('POST', '/me/status', { status: select.value });
    S.me = agent;
    setStatusSelect(agent.status);
    toast(`状态已切换为“${STATUS_LABEL[agent.status]}”`, { kind: 'ok' });
  } catch (error) {
    setStatusSelect(previous);
    toastError(error);
  }
});

$('#sound').addEventListener('click', () => {
  S.sound = !S.sound;
  localStorage.setItem(SOUND_KEY, S.sound ? 'on' : 'off');
  $('#sound').setAttribute('aria-pressed', String(S.sound));
  if (S.sound) beep();
});

// ---------- tabs ----------
function showView(view) {
  S.view = view;
  $('#conv-view').hidden = view !== 'conv';
  $('#tickets-view').hidden = view !== 'tickets';
  $('#tab-conv').setAttribute('aria-selected', String(view === 'conv'));
  $('#tab-tickets').setAttribute('aria-selected', String(view === 'tickets'));
  history.replaceState(null, '', view === 'tickets' ? '#tickets' : '#');
  if (view === 'tickets') loadTickets();
}
$('#tab-conv').addEventListener('click', () => showView('conv'));
$('#tab-tickets').addEventListener('click', () => showView('tickets'));

// ---------- agents (names, transfer picker, assignee filter) ----------
const agentName = (id) => {
  if (id === null || id === undefined) return '';
  const agent = S.agents.find((a) => a.id === id);
  return agent ? (agent.display_name || agent.username) : `客服 #${id}`;
};

async function loadAgents() {
  try {
    const { agents } = await api('GET', '/agents');
    S.agents = agents || [];
  } catch {
    S.agents = S.me ? [S.me] : [];
  }
  fillAssigneeSelect($('#f-assignee'), true);
  if (S.ticketDetail) renderTicketDetail();
}
const scheduleAgents = debounce(loadAgents, 500);

function fillAssigneeSelect(select, forFilter) {
  const current = select.value;
  select.replaceChildren(el('option', { value: '', text: forFilter ? '全部' : '未分配' }));
  if (forFilter && S.me) select.append(el('option', { value: String(S.me.id), text: '我' }));
  for (const agent of S.agents) {
    if (forFilter && agent.id === S.me?.id) continue;
    select.append(el('option', { value: String(agent.id), text: agent.display_name || agent.username }));
  }
  select.value = current;
}

// ---------- conversation lists ----------
let listSeq = 0;

async function refreshLists() {
  const seq = ++listSeq;
  try {
    const [queue, mine] = await Promise.all([api('GET', '/queue'), api('GET', '/conversations?mine=true')]);
    if (seq !== listSeq) return;
    S.queue = queue.conversations || [];
    S.mine = mine.conversations || [];
    renderLists();
  } catch (error) {
    if (error.status !== 401) toastError(error);
  }
}
const scheduleLists = debounce(refreshLists, 150);

function saveSeen() {
  sessionStorage.setItem(SEEN_KEY, JSON.stringify(S.seen));
}

function unreadOf(item) {
  const last = item.last_message?.id || 0;
  if (item.conversation.id === S.openId) return 0;
  return last > (S.seen[item.conversation.id] || 0) ? item.unanswered : 0;
}

function renderLists() {
  renderList($('#queue'), S.queue, true);
  renderList($('#mine'), S.mine, false);
  $('#queue-count').textContent = String(S.queue.length);
  $('#mine-count').textContent = String(S.mine.length);
  updateTitle();
}

function renderList(list, items, isQueue) {
  // Keep keyboard focus on the same item across re-renders.
  const focused = document.activeElement?.closest?.('.conv-item');
  const focusedId = focused && list.contains(focused) ? focused.dataset.id : null;
  const focusedClass = focusedId ? [...document.activeElement.classList][0] : null;
  list.replaceChildren();
  if (!items.length) {
    list.append(el('li', { class: 'list-empty', text: isQueue ? '暂无排队' : '暂无进行中的会话' }));
    return;
  }
  for (const item of items) {
    const c = item.conversation;
    const unread = unreadOf(item);
    const last = item.last_message;
    const who = last ? { user: '', bot: '机器人：', agent: '我：', system: '系统：' }[last.sender] ?? '' : '';
    const waitingSince = isQueue ? c.queued_at : (item.unanswered > 0 ? last?.created_at : null);
    const waitMs = waitingSince ? Date.now() - waitingSince : 0;
    const li = el('li', { class: `conv-item${c.id === S.openId ? ' active' : ''}`, dataset: { id: c.id, state: c.state } },
      el('button', { class: 'conv-open', type: 'button', 'aria-current': c.id === S.openId ? 'true' : undefined, onclick: () => openConversation(c.id) },
        el('span', { class: 'ci-row' },
          el('span', { class: 'ci-name', text: customerName(item.customer) }),
          channelBadge(c.channel),
          el('span', { class: `ci-time${waitMs > 180000 ? ' late' : ''}`, title: waitingSince ? `等待自 ${fmtTime(waitingSince)}` : '',
            text: waitingSince ? `等待 ${fmtAgo(waitingSince)}` : fmtTime(last?.created_at) })),
        el('span', { class: 'ci-row' },
          el('span', { class: 'ci-last', text: last ? who + (last.text || '') : '（无消息）' }),
          unread > 0 && el('span', { class: 'unread', 'aria-label': `${unread} 条未读`, text: String(unread) })),
        isQueue && (c.handoff_reason || c.agent_group) && el('span', { class: 'ci-row ci-tags' },
          c.agent_group && el('span', { class: 'tag', text: c.agent_group }),
          c.handoff_reason && el('span', { class: 'ci-reason', text: handoffLabel(c.handoff_reason) }))),
      isQueue && el('button', { class: 'btn primary small claim', type: 'button', 'aria-label': `接入 ${customerName(item.customer)}`, text: '接入', onclick: (e) => { e.stopPropagation(); claim(c.id); } }));
    list.append(li);
  }
  if (focusedId) {
    const again = list.querySelector(`.conv-item[data-id="${CSS.escape(focusedId)}"] .${focusedClass}`) ||
      list.querySelector(`.conv-item[data-id="${CSS.escape(focusedId)}"] .conv-open`);
    again?.focus();
  }
}

async function claim(id) {
  try {
    await api('POST', `/conversations/${id}/claim`);
    toast('已接入会话', { kind: 'ok' });
    await openConversation(id);
    refreshLists();
    $('#reply').focus();
  } catch (error) {
    toastError(error);
    refreshLists();
  }
}

// Alt+↑ / Alt+↓ walk through all conversations in the left column.
document.addEventListener('keydown', (event) => {
  if (!event.altKey || S.view !== 'conv' || (event.key !== 'ArrowDown' && event.key !== 'ArrowUp')) return;
  const ids = [...S.queue, ...S.mine].map((item) => item.conversation.id);
  if (!ids.length) return;
  event.preventDefault();
  const at = ids.indexOf(S.openId);
  const next = event.key === 'ArrowDown' ? (at + 1) % ids.length : (at <= 0 ? ids.length - 1 : at - 1);
  openConversation(ids[next]);
});

// ---------- the open conversation ----------
let openSeq = 0;

async function openConversation(id) {
  if (S.openId !== id) {
    stopTyping();
    closeCanned();
    S.openId = id;
    S.open = null;
    $('#reply').value = '';
    $('#transcript').replaceChildren();
    $('#transcript').dataset.conv = String(id);
  }
  if (S.view !== 'conv') showView('conv');
  renderLists();
  await loadOpen();
}

async function loadOpen() {
  const id = S.openId;
  if (!id) return;
  const seq = ++openSeq;
  try {
    const data = await api('GET', `/conversations/${id}`);
    if (seq !== openSeq || S.openId !== id) return;
    S.open = data;
    const lastId = data.messages.at(-1)?.id || 0;
    if (lastId > (S.seen[id] || 0)) { S.seen[id] = lastId; saveSeen(); }
    renderChat();
    renderCopilot();
    if (data.customer && data.customer.id !== S.customerId) loadCustomer(data.customer.id);
    renderLists();
  } catch (error) {
    if (seq !== openSeq) return;
    toastError(error);
    if (error.status === 404 || error.status === 403) closePane();
  }
}
const scheduleOpen = debounce(loadOpen, 150);

function closePane() {
  S.openId = null;
  S.open = null;
  S.customerId = null;
  $('#chat-pane').hidden = true;
  $('#chat-empty').hidden = false;
  renderCopilot();
  $('#customer-body').replaceChildren(el('p', { class: 'muted small', text: '未选择会话' }));
  renderLists();
}

/** What the caller may do with the open conversation. */
function permissions() {
  const c = S.open?.conversation;
  if (!c || !S.me) return {};
  const admin = S.me.role === 'admin';
  const mine = c.agent_id === S.me.id;
  const owned = c.agent_id === null || c.agent_id === undefined || mine || admin;
  return {
    mine,
    reply: c.state !== 'queued' && owned,
    typing: mine && c.state === 'human',
    act: mine && c.state === 'human',
    close: owned && c.state !== 'closed' && c.state !== 'queued',
    ticket: owned,
    claim: c.state === 'queued',
  };
}

function renderChat() {
  const data = S.open;
  const c = data.conversation;
  $('#chat-empty').hidden = true;
  $('#chat-pane').hidden = false;
  $('#chat-title').replaceChildren(el('span', { text: customerName(data.customer) }), channelBadge(c.channel));
  const meta = [el('span', { class: `state-pill st-${c.state}`, text: STATE_LABEL[c.state] || c.state })];
  if (c.agent_id && c.agent_id !== S.me.id) meta.push(el('span', { text: `接待：${agentName(c.agent_id)}` }));
  if (c.agent_group) meta.push(el('span', { class: 'tag', text: c.agent_group }));
  if (c.handoff_reason) meta.push(el('span', { text: `转人工原因：${handoffLabel(c.handoff_reason)}` }));
  if (c.satisfaction) meta.push(el('span', { class: 'rating', text: `评分 ${'★'.repeat(c.satisfaction)}${'☆'.repeat(5 - c.satisfaction)}` }));
  else if (c.awaiting_rating) meta.push(el('span', { class: 'muted', text: '等待客户评分' }));
  meta.push(el('span', { class: 'muted', text: `会话 #${c.id}` }));
  $('#chat-meta').replaceChildren(...meta);

  const can = permissions();
  $('#claim-open').hidden = !can.claim;
  $('#transfer').disabled = !can.act;
  $('#close').disabled = !can.close;
  $('#ticket').disabled = !can.ticket;
  const reply = $('#reply');
  reply.disabled = !can.reply;
  $('#send').disabled = !can.reply;
  let note = '';
  if (c.state === 'queued') note = '会话排队中，接入后才能回复。';
  else if (c.state === 'human' && !can.mine && can.reply) note = `该会话由 ${agentName(c.agent_id)} 接待，你正以管理员身份回复。`;
  else if (c.state === 'human' && !can.mine) note = `该会话由 ${agentName(c.agent_id)} 接待（只读）。`;
  else if (c.state === 'bot') note = '机器人接待中，发送回复将由你接管会话。';
  else if (c.state === 'closed') note = '会话已结束，发送回复会重新打开会话并由你接待。';
  $('#composer-note').textContent = note;
  $('#composer-note').hidden = !note;

  renderTranscript(data.messages);
  renderLimits();
}

function renderTranscript(messages) {
  const list = $('#transcript');
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const fresh = !list.children.length;
  const have = new Set([...list.children].map((node) => node.dataset.id));
  for (const message of messages) {
    if (!have.has(String(message.id))) list.append(messageNode(message));
  }
  if (fresh || nearBottom) list.scrollTop = list.scrollHeight;
}

function appendMessage(message) {
  const list = $('#transcript');
  if (list.querySelector(`.msg[data-id="${message.id}"]`)) return;
  list.append(messageNode(message));
  list.scrollTop = list.scrollHeight;
}

function messageNode(m) {
  const sender = m.sender || 'system';
  if (sender === 'system') {
    return el('li', { class: 'msg system', dataset: { id: m.id, sender } },
      el('span', { class: 'sys-text', text: m.text }), el('time', { class: 'msg-time', text: fmtTime(m.created_at) }));
  }
  let who = SENDER[sender];
  if (sender === 'user') who = customerName(S.open?.customer);
  if (sender === 'agent') who = m.agent_id === S.me?.id ? `${agentName(m.agent_id) || '我'}（我）` : (m.agent_id ? agentName(m.agent_id) : '客服');
  const badge = sender === 'bot' ? decisionBadge(m) : null;
  return el('li', { class: `msg ${sender}`, dataset: { id: m.id, sender } },
    el('div', { class: 'msg-meta' },
      el('span', { class: 'msg-who', text: who }),
      el('time', { class: 'msg-time', datetime: new Date(m.created_at).toISOString(), text: fmtTime(m.created_at) }),
      badge && el('span', { class: `decision lv-${badge.level}`, title: badge.title, text: badge.text }),
      badge?.entry && el('span', { class: 'decision-entry', text: badge.entry })),
    el('div', { class: 'bubble' }, contentNode(m)));
}

const URL_RE = /https?:\/\/[^\s<>"'，。！？、）]+/g;

/** Text with http(s) links made clickable. */
function linkify(text) {
  const frag = document.createDocumentFragment();
  let at = 0;
  for (const match of text.matchAll(URL_RE)) {
    frag.append(text.slice(at, match.index));
    frag.append(el('a', { href: match[0], target: '_blank', rel: 'noopener noreferrer', text: match[0] }));
    at = match.index + match[0].length;
  }
  frag.append(text.slice(at));
  return frag;
}

const safeUrl = (url) => (typeof url === 'string' && /^https?:\/\//i.test(url) ? url : null);

function contentNode(m) {
  const c = m.content || {};
  switch (c.type) {
    case 'image': {
      const url = safeUrl(c.url);
      return url
        ? el('a', { href: url, target: '_blank', rel: 'noopener noreferrer', class: 'img-link' }, el('img', { src: url, alt: '图片', loading: 'lazy' }))
        : el('span', { class: 'muted', text: '[图片]' });
    }
    case 'link': {
      const url = safeUrl(c.url);
      return el('div', { class: 'card' },
        el('div', { class: 'card-title' }, url ? el('a', { href: url, target: '_blank', rel: 'noopener noreferrer', text: c.title || url }) : (c.title || '')),
        c.description && el('div', { class: 'card-desc', text: c.description }));
    }
    case 'mini_program':
      return el('div', { class: 'card' }, el('div', { class: 'card-title', text: `小程序：${c.title || ''}` }), el('div', { class: 'card-desc mono', text: c.pagepath || '' }));
    default:
      return el('div', { class: 'text' }, linkify(m.text ?? c.text ?? ''));
  }
}

function renderLimits(warning) {
  const box = $('#limits');
  const limits = S.open?.channel_limits;
  const parts = [];
  let level = 'info';
  if (limits && typeof limits === 'object') {
    if (limits.blocked) {
      parts.push(`渠道无法发送：${limits.blocked}`);
      level = 'error';
    } else if (!limits.window_closes_at || limits.window_closes_at <= Date.now()) {
      parts.push('微信回复窗口已关闭（客户 48 小时内未发消息），客户再次发消息后才能回复');
      level = 'error';
    } else if (limits.messages_left <= 0) {
      parts.push('本窗口可发送的消息已用完，客户回复后才能继续发送');
      level = 'error';
    } else {
      parts.push(`本窗口还可发送 ${limits.messages_left} 条 · 窗口 ${fmtTime(limits.window_closes_at)} 关闭`);
      if (limits.messages_left <= 1) level = 'warn';
    }
  }
  if (warning) {
    parts.unshift(warning);
    if (level === 'info') level = 'warn';
  }
  box.textContent = parts.join(' · ');
  box.dataset.level = level;
  box.hidden = !parts.length;
}

// ---------- composer: send, typing, canned ----------
const replyBox = $('#reply');

async function sendReply() {
  const text = replyBox.value.trim();
  const id = S.openId;
  if (!text || !id || !permissions().reply) return;
  const button = $('#send');
  button.disabled = true;
  try {
    const result = await api('POST', `/conversations/${id}/messages`, { text });
    if (S.openId === id) {
      replyBox.value = '';
      stopTyping();
      appendMessage({ ...result.message, agent_id: S.me.id });
      if ('channel_limits' in result) S.open.channel_limits = result.channel_limits;
      renderLimits(result.warning);
      if (result.warning) toast(result.warning, { kind: 'warn' });
    }
    scheduleOpen();
    scheduleLists();
  } catch (error) {
    toastError(error);
  } finally {
    button.disabled = !permissions().reply;
    replyBox.focus();
  }
}
$('#send').addEventListener('click', sendReply);

let typingAt = 0;
let typingOn = false;

function typingPing() {
  if (!permissions().typing || !replyBox.value.trim()) return;
  if (Date.now() - typingAt < 3000) return;
  typingAt = Date.now();
  typingOn = true;
  api('POST', `/conversations/${S.openId}/typing`, { typing: true }).catch(() => {});
}

function stopTyping() {
  if (!typingOn || !S.openId) return;
  typingOn = false;
  typingAt = 0;
  api('POST', `/conversations/${S.openId}/typing`, { typing: false }).catch(() => {});
}

replyBox.addEventListener('input', () => {
  typingPing();
  updateCanned();
});
replyBox.addEventListener('blur', () => {
  stopTyping();
  // Let a click on a picker item land before closing.
  setTimeout(() => { if (document.activeElement !== replyBox) closeCanned(); }, 150);
});

const canned = { open: false, items: [], index: 0 };

async function loadCanned() {
  if (S.canned && Date.now() - S.cannedAt < 60000) return S.canned;
  try {
    const data = await api('GET', '/canned');
    S.canned = data.canned || [];
  } catch {
    S.canned ||= [];
  }
  S.cannedAt = Date.now();
  return S.canned;
}

async function updateCanned() {
  const value = replyBox.value;
  if (!value.startsWith('/') || value.includes('\n')) return closeCanned();
  const query = value.slice(1).trim().toLowerCase();
  let all = await loadCanned();
  // The server lists at most 50: with a big library, let it search.
  if (all.length >= 50 && query) {
    try { all = (await api('GET', `/canned?q=${encodeURIComponent(query)}`)).canned || []; } catch { /* keep the local list */ }
  }
  if (!replyBox.value.startsWith('/')) return;
  const scored = all
    .map((item) => {
      const shortcut = (item.shortcut || '').toLowerCase();
      if (!query) return [0, item];
      if (shortcut.startsWith(query)) return [0, item];
      if (shortcut.includes(query) || (item.title || '').toLowerCase().includes(query)) return [1, item];
      if ((item.text || '').toLowerCase().includes(query)) return [2, item];
      return null;
    })
    .filter(Boolean)
    .sort((a, b) => a[0] - b[0]);
  canned.items = scored.slice(0, 8).map(([, item]) => item);
  canned.index = 0;
  canned.open = true;
  renderCanned();
}

function renderCanned() {
  const box = $('#canned');
  box.hidden = false;
  replyBox.setAttribute('aria-expanded', 'true');
  replyBox.setAttribute('aria-controls', 'canned');
  if (!canned.items.length) {
    box.replaceChildren(el('div', { class: 'canned-empty', text: S.canned?.length ? '没有匹配的快捷回复' : '暂无快捷回复' }));
    replyBox.removeAttribute('aria-activedescendant');
    return;
  }
  box.replaceChildren(...canned.items.map((item, i) => el('div', {
    class: `canned-item${i === canned.index ? ' active' : ''}`, id: `canned-${i}`, role: 'option',
    'aria-selected': String(i === canned.index), dataset: { shortcut: item.shortcut },
    onmousedown: (e) => { e.preventDefault(); insertCanned(i); },
  },
  el('span', { class: 'canned-key', text: `/${item.shortcut}` }),
  el('span', { class: 'canned-title', text: item.title || '' }),
  el('span', { class: 'canned-text', text: item.text || '' }))));
  replyBox.setAttribute('aria-activedescendant', `canned-${canned.index}`);
  box.querySelector('.active')?.scrollIntoView({ block: 'nearest' });
}

function closeCanned() {
  canned.open = false;
  $('#canned').hidden = true;
  replyBox.setAttribute('aria-expanded', 'false');
  replyBox.removeAttribute('aria-activedescendant');
}

function insertCanned(i) {
  const item = canned.items[i];
  if (!item) return;
  replyBox.value = item.text || '';
  closeCanned();
  replyBox.focus();
  replyBox.setSelectionRange(replyBox.value.length, replyBox.value.length);
  typingPing();
}

replyBox.addEventListener('keydown', (event) => {
  if (event.isComposing) return; // IME: Enter picks the candidate, it does not send
  if (canned.open) {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (!canned.items.length) return;
      const step = event.key === 'ArrowDown' ? 1 : -1;
      canned.index = (canned.index + step + canned.items.length) % canned.items.length;
      renderCanned();
      return;
    }
    if ((event.key === 'Enter' || event.key === 'Tab') && canned.items.length) {
      event.preventDefault();
      insertCanned(canned.index);
      return;
    }
    if (event.key === 'Escape') {
      event.preventDefault();
      closeCanned();
      return;
    }
  }
  if (event.key === 'Enter' && !event.shiftKey && !event.ctrlKey && !event.altKey) {
    event.preventDefault();
    sendReply();
  }
});

// ---------- co-pilot ----------
function renderCopilot() {
  const box = $('#copilot-list');
  const suggestions = (S.open?.suggestions || []).slice(0, 3);
  if (!S.open || !suggestions.length) {
    box.replaceChildren(el('p', { class: 'muted small', text: S.open ? '知识库中没有找到相关答案' : '暂无推荐' }));
    return;
  }
  const can = permissions().reply;
  box.replaceChildren(...suggestions.map((s) => {
    const pct = Math.round((s.confidence || 0) * 100);
    return el('article', { class: 'copilot-card', dataset: { entry: s.entry } },
      el('header', { class: 'cp-head' },
        el('span', { class: 'cp-q', text: s.question || s.entry }),
        el('span', { class: `cp-conf lv-${pct >= 80 ? 'ok' : pct >= 50 ? 'mid' : 'low'}`, title: '置信度', text: `${pct}%` })),
      el('div', { class: 'cp-bar', 'aria-hidden': 'true' }, el('span', { style: `width:${pct}%` })),
      el('p', { class: 'cp-a', text: s.answer || '' }),
      el('button', { class: 'btn small copilot-insert', type: 'button', disabled: !can, 'aria-label': `插入答案：${s.question || ''}`, text: '插入',
        onclick: () => insertText(s.answer || '') }));
  }));
}

function insertText(text) {
  replyBox.value = replyBox.value.trim() ? `${replyBox.value.replace(/\s+$/, '')}\n${text}` : text;
  replyBox.focus();
  replyBox.setSelectionRange(replyBox.value.length, replyBox.value.length);
  typingPing();
}

// ---------- customer profile ----------
let customerSeq = 0;

async function loadCustomer(id) {
  S.customerId = id;
  const seq = ++customerSeq;
  try {
    const data = await api('GET', `/customers/${id}`);
    if (seq !== customerSeq || S.customerId !== id) return;
    S.customerDetail = data;
    renderCustomer();
  } catch (error) {
    if (seq === customerSeq) toastError(error);
  }
}
const scheduleCustomer = debounce(() => S.customerId && loadCustomer(S.customerId), 300);

function renderCustomer() {
  const { customer, conversations = [], tickets = [] } = S.customerDetail;
  const attrs = Object.entries(customer.attributes || {});
  const ATTR_LABEL = { session_from: '来源页面' };
  const form = el('form', { id: 'cust-form', class: 'cust-form', onsubmit: saveCustomer },
    el('label', { for: 'cust-name', text: '名称' }),
    el('input', { id: 'cust-name', value: customer.display_name || '', placeholder: customerName(customer), maxlength: '100' }),
    el('label', { for: 'cust-tags', text: '标签' }),
    el('input', { id: 'cust-tags', value: (customer.tags || []).join('，'), placeholder: '用逗号分隔，如 VIP，投诉' }),
    el('label', { for: 'cust-notes', text: '备注' }),
    el('textarea', { id: 'cust-notes', rows: '3', placeholder: '仅客服可见' }, customer.notes || ''),
    el('p', { class: 'form-error', role: 'alert', hidden: true }),
    el('div', { class: 'row-end' }, el('button', { id: 'cust-save', class: 'btn small', type: 'submit', text: '保存资料' })));

  const body = [
    el('dl', { class: 'kv' },
      el('dt', { text: '渠道' }), el('dd', {}, channelBadge(customer.channel), ' ', el('span', { class: 'muted small', text: customer.channel })),
      el('dt', { text: '外部 ID' }), el('dd', { class: 'mono selectable', text: customer.external_id }),
      el('dt', { text: '首次' }), el('dd', { text: fmtTime(customer.created_at) }),
      ...attrs.flatMap(([key, value]) => [
        el('dt', { text: ATTR_LABEL[key] || key }),
        el('dd', { class: 'break' }, typeof value === 'string' && safeUrl(value)
          ? el('a', { href: value, target: '_blank', rel: 'noopener noreferrer', text: value })
          : (typeof value === 'string' ? value : JSON.stringify(value))),
      ])),
    (customer.tags || []).length ? el('div', { class: 'chips' }, customer.tags.map((t) => el('span', { class: 'tag', text: t }))) : null,
    form,
    el('h3', { class: 'sub-title', text: `历史会话（${conversations.length}）` }),
    conversations.length
      ? el('ul', { class: 'mini-list' }, conversations.slice(0, 10).map((c) => el('li', {},
        el('button', { class: `link-row${c.id === S.openId ? ' current' : ''}`, type: 'button', onclick: () => openConversation(c.id) },
          el('span', { text: `#${c.id}` }), el('span', { class: `state-pill st-${c.state}`, text: STATE_LABEL[c.state] || c.state }),
          c.satisfaction ? el('span', { class: 'rating', text: `${c.satisfaction}★` }) : null,
          el('span', { class: 'muted grow-r', text: fmtTime(c.created_at) })))))
      : el('p', { class: 'muted small', text: '无' }),
    el('h3', { class: 'sub-title', text: `工单（${tickets.length}）` }),
    tickets.length
      ? el('ul', { class: 'mini-list' }, tickets.slice(0, 10).map((t) => el('li', {},
        el('button', { class: 'link-row', type: 'button', onclick: () => { showView('tickets'); openTicket(t.id); } },
          el('span', { text: `#${t.id}` }), el('span', { class: 'ellipsis', text: t.subject }),
          el('span', { class: `pill ts-${t.status}`, text: TICKET_STATUS[t.status] || t.status })))))
      : el('p', { class: 'muted small', text: '无' }),
  ];
  $('#customer-body').replaceChildren(...body.filter(Boolean));
}

async function saveCustomer(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const id = S.customerId;
  const tags = $('#cust-tags').value.split(/[,，;；\s]+/).map((t) => t.trim()).filter(Boolean);
  const button = $('#cust-save');
  button.disabled = true;
  try {
    const { customer } = await api('PATCH', `/customers/${id}`, {
      display_name: $('#cust-name').value.trim(), tags: [...new Set(tags)], notes: $('#cust-notes').value,
    });
    if (S.customerDetail?.customer.id === id) S.customerDetail.customer = customer;
    if (S.open?.customer?.id === id) S.open.customer = customer;
    showFormError(form, null);
    renderCustomer();
    if (S.open) renderChat();
    refreshLists();
    toast('客户资料已保存', { kind: 'ok' });
  } catch (error) {
    showFormError(form, error);
    button.disabled = false;
  }
}

// ---------- dialogs: transfer, close, ticket ----------
document.querySelectorAll('dialog [data-dismiss]').forEach((button) =>
  button.addEventListener('click', () => button.closest('dialog').close()));

function openDialog(dialog) {
  showFormError($('form', dialog), null);
  dialog.showModal();
}

$('#claim-open').addEventListener('click', () => S.openId && claim(S.openId));

$('#transfer').addEventListener('click', async () => {
  const dialog = $('#transfer-dialog');
  await loadAgents();
  const select = $('#transfer-agent');
  const others = S.agents.filter((a) => a.id !== S.me.id && !a.disabled);
  const order = { online: 0, away: 1, offline: 2 };
  others.sort((a, b) => (order[a.status] ?? 3) - (order[b.status] ?? 3));
  select.replaceChildren(...others.map((a) => el('option', { value: String(a.id),
    text: `${a.display_name || a.username}（${STATUS_LABEL[a.status] || a.status}${a.groups?.length ? ' · ' + a.groups.join('/') : ''}）` })));
  if (!others.length) select.append(el('option', { value: '', text: '没有其他客服' }));
  const groups = [...new Set(S.agents.flatMap((a) => a.groups || []))];
  $('#group-options').replaceChildren(...groups.map((g) => el('option', { value: g })));
  $('#transfer-note').value = '';
  $('#transfer-group').value = S.open?.conversation.agent_group || '';
  const mode = others.length ? 'agent' : 'group';
  dialog.querySelector(`input[name="transfer-mode"][value="${mode}"]`).checked = true;
  syncTransferMode();
  openDialog(dialog);
});

function syncTransferMode() {
  const mode = $('#transfer-dialog input[name="transfer-mode"]:checked').value;
  $('#transfer-agent-row').hidden = mode !== 'agent';
  $('#transfer-group-row').hidden = mode !== 'group';
}
document.querySelectorAll('input[name="transfer-mode"]').forEach((r) => r.addEventListener('change', syncTransferMode));

$('#transfer-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const mode = $('#transfer-dialog input[name="transfer-mode"]:checked').value;
  const body = { note: $('#transfer-note').value.trim() };
  if (mode === 'agent') {
    const id = Number($('#transfer-agent').value);
    if (!id) return showFormError(form, new Error('请选择要转给的客服'));
    body.agent_id = id;
  } else {
    const group = $('#transfer-group').value.trim();
    if (!group) return showFormError(form, new Error('请填写分组'));
    body.group = group;
  }
  const button = $('#transfer-submit');
  button.disabled = true;
  try {
    await api('POST', `/conversations/${S.openId}/transfer`, body);
    $('#transfer-dialog').close();
    toast(mode === 'agent' ? `已转接给 ${agentName(body.agent_id)}` : `已转到分组“${body.group}”排队`, { kind: 'ok' });
    // Another agent's conversation is no longer ours to see.
    if (mode === 'agent' && S.me.role !== 'admin') closePane();
    else loadOpen();
    refreshLists();
  } catch (error) {
    showFormError(form, error);
  } finally {
    button.disabled = false;
  }
});

$('#close').addEventListener('click', () => openDialog($('#close-dialog')));

$('#close-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = $('#close-confirm');
  button.disabled = true;
  try {
    stopTyping();
    await api('POST', `/conversations/${S.openId}/close`);
    $('#close-dialog').close();
    toast('会话已结束，已邀请客户评价', { kind: 'ok' });
    loadOpen();
    refreshLists();
  } catch (error) {
    showFormError(event.currentTarget, error);
  } finally {
    button.disabled = false;
  }
});

$('#ticket').addEventListener('click', () => {
  const lastCustomer = [...(S.open?.messages || [])].reverse().find((m) => m.sender === 'user');
  $('#ticket-subject').value = (lastCustomer?.text || '').replace(/\s+/g, ' ').slice(0, 100);
  $('#ticket-priority').value = 'normal';
  openDialog($('#ticket-dialog'));
  $('#ticket-subject').select();
});

$('#ticket-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const subject = $('#ticket-subject').value.trim();
  if (!subject) return showFormError(form, new Error('请填写工单主题'));
  const button = $('#ticket-submit');
  button.disabled = true;
  try {
    const { ticket } = await api('POST', `/conversations/${S.openId}/ticket`, { subject, priority: $('#ticket-priority').value });
    $('#ticket-dialog').close();
    toast(`已创建工单 #${ticket.id}`, { kind: 'ok', action: { label: '查看', fn: () => { showView('tickets'); openTicket(ticket.id); } } });
    scheduleCustomer();
  } catch (error) {
    showFormError(form, error);
  } finally {
    button.disabled = false;
  }
});

// ---------- tickets ----------
let ticketsSeq = 0;

async function loadTickets() {
  const params = new URLSearchParams();
  for (const [id, key] of [['#f-status', 'status'], ['#f-priority', 'priority'], ['#f-assignee', 'assignee']]) {
    const value = $(id).value;
    if (value) params.set(key, value);
  }
  const seq = ++ticketsSeq;
  try {
    const query = params.toString();
    const { tickets } = await api('GET', `/tickets${query ? '?' + query : ''}`);
    if (seq !== ticketsSeq) return;
    S.tickets = tickets || [];
    renderTickets();
  } catch (error) {
    if (seq === ticketsSeq) toastError(error);
  }
}
const scheduleTickets = debounce(() => S.view === 'tickets' && loadTickets(), 200);
['#f-status', '#f-priority', '#f-assignee'].forEach((id) => $(id).addEventListener('change', loadTickets));
$('#f-refresh').addEventListener('click', loadTickets);

function renderTickets() {
  const body = $('#ticket-list');
  const focusedId = document.activeElement?.closest?.('.ticket-row')?.dataset.id;
  body.replaceChildren(...S.tickets.map((t) => {
    const row = el('tr', { class: `ticket-row${t.id === S.ticketId ? ' active' : ''}`, tabindex: '0', dataset: { id: t.id },
      'aria-selected': String(t.id === S.ticketId),
      onclick: () => openTicket(t.id),
      onkeydown: (e) => {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); openTicket(t.id); }
        if (e.key === 'ArrowDown') { e.preventDefault(); row.nextElementSibling?.focus(); }
        if (e.key === 'ArrowUp') { e.preventDefault(); row.previousElementSibling?.focus(); }
      } },
    el('td', { class: 'num mono', text: `#${t.id}` }),
    el('td', { class: 'subject' }, el('span', { class: 'ellipsis', title: t.subject, text: t.subject })),
    el('td', {}, el('span', { class: `pill ts-${t.status}`, text: TICKET_STATUS[t.status] || t.status })),
    el('td', {}, el('span', { class: `pill pr-${t.priority}`, text: PRIORITY[t.priority] || t.priority })),
    el('td', { class: 'muted', text: t.assignee_id ? agentName(t.assignee_id) : '未分配' }),
    el('td', { class: 'muted nowrap', text: fmtTime(t.updated_at) }));
    return row;
  }));
  $('#ticket-empty').hidden = S.tickets.length > 0;
  if (focusedId) body.querySelector(`.ticket-row[data-id="${CSS.escape(focusedId)}"]`)?.focus();
}

let ticketSeq = 0;

async function openTicket(id) {
  S.ticketId = id;
  renderTickets();
  const seq = ++ticketSeq;
  try {
    const data = await api('GET', `/tickets/${id}`);
    if (seq !== ticketSeq || S.ticketId !== id) return;
    S.ticketDetail = data;
    renderTicketDetail();
  } catch (error) {
    if (seq === ticketSeq) toastError(error);
  }
}
const scheduleTicketDetail = debounce(() => S.ticketId && openTicket(S.ticketId), 200);

function ticketEventText(event) {
  const p = event.payload || {};
  switch (event.kind) {
    case 'ticket_created': return `创建工单 · ${TICKET_WHY[p.why] || p.why || ''}${p.reason ? '（' + handoffLabel(p.reason) + '）' : ''}`;
    case 'ticket_updated': return `更新：${TICKET_STATUS[p.status] || p.status} · ${PRIORITY[p.priority] || p.priority} · ${p.assignee_id ? agentName(p.assignee_id) : '未分配'}`;
    case 'ticket_note': return '添加了内部备注';
    default: return event.kind;
  }
}

function selectOf(id, options, value, label) {
  return el('label', { class: 'field-inline' }, label,
    el('select', { id }, Object.entries(options).map(([v, text]) => el('option', { value: v, text, selected: v === value }))));
}

function renderTicketDetail() {
  const { ticket: t, customer, notes = [], history = [] } = S.ticketDetail;
  const pane = $('#ticket-detail');
  const assignees = { '': '未分配' };
  for (const a of S.agents) assignees[String(a.id)] = a.display_name || a.username;
  if (t.assignee_id && !(String(t.assignee_id) in assignees)) assignees[String(t.assignee_id)] = agentName(t.assignee_id);

  const subjectForm = el('form', { class: 't-subject-form', onsubmit: (e) => { e.preventDefault(); patchTicket({ subject: $('#t-subject').value }); } },
    el('label', { for: 't-subject', class: 'sr-only', text: '工单主题' }),
    el('input', { id: 't-subject', class: 't-subject', value: t.subject, maxlength: '200' }),
    el('button', { id: 't-subject-save', class: 'btn small', type: 'submit', text: '保存主题' }));

  pane.replaceChildren(
    el('header', { class: 't-head' },
      el('div', { class: 't-id mono', text: `工单 #${t.id}` }),
      subjectForm,
      el('div', { class: 't-fields' },
        selectOf('t-status', TICKET_STATUS, t.status, '状态'),
        selectOf('t-priority', PRIORITY, t.priority, '优先级'),
        selectOf('t-assignee', assignees, t.assignee_id ? String(t.assignee_id) : '', '处理人'),
        el('span', { class: 'muted small', text: `分组：${t.agent_group || '—'} · 创建 ${fmtTime(t.created_at)} · 更新 ${fmtTime(t.updated_at)}` }))),
    el('section', { class: 't-section' },
      el('h3', { class: 'sub-title', text: '客户' }),
      customer ? el('div', { class: 't-customer' },
        el('strong', { text: customerName(customer) }), channelBadge(customer.channel),
        el('span', { class: 'mono muted small', text: customer.external_id }),
        (customer.tags || []).map((tag) => el('span', { class: 'tag', text: tag })),
        t.conversation_id && el('button', { class: 'btn small', type: 'button', text: `查看会话 #${t.conversation_id}`, onclick: () => openConversation(t.conversation_id) }))
        : el('p', { class: 'muted', text: '—' }),
      customer?.notes && el('p', { class: 'cust-notes-view' }, el('span', { class: 'muted', text: '客户备注：' }), customer.notes)),
    el('section', { class: 't-section' },
      el('h3', { class: 'sub-title', text: `内部备注（${notes.length}）` }),
      el('ol', { id: 'notes', class: 'notes' }, notes.map((n) => el('li', { class: 'note', dataset: { id: n.id } },
        el('div', { class: 'note-meta' }, el('strong', { text: n.agent_id ? agentName(n.agent_id) : '系统' }), el('time', { class: 'muted', text: fmtTime(n.created_at) })),
        el('div', { class: 'note-body', text: n.body })))),
      el('form', { class: 'note-form', onsubmit: addNote },
        el('label', { for: 'note-text', class: 'sr-only', text: '新备注' }),
        el('textarea', { id: 'note-text', rows: '3', placeholder: '添加内部备注（客户不可见），Ctrl+Enter 提交' }),
        el('p', { class: 'form-error', role: 'alert', hidden: true }),
        el('div', { class: 'row-end' }, el('button', { id: 'note-add', class: 'btn primary small', type: 'submit', text: '添加备注' })))),
    el('section', { class: 't-section' },
      el('h3', { class: 'sub-title', text: '历史' }),
      el('ol', { id: 'ticket-history', class: 'history' }, history.map((e) => el('li', { dataset: { id: e.id, kind: e.kind } },
        el('time', { class: 'muted mono', text: fmtTime(e.created_at) }),
        el('span', { class: 'h-who', text: e.agent_id ? agentName(e.agent_id) : '系统' }),
        el('span', { text: ticketEventText(e) }))))));

  for (const [id, key] of [['#t-status', 'status'], ['#t-priority', 'priority']]) {
    $(id).addEventListener('change', (e) => patchTicket({ [key]: e.target.value }));
  }
  $('#t-assignee').addEventListener('change', (e) => patchTicket({ assignee_id: e.target.value ? Number(e.target.value) : null }));
  $('#note-text').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); e.target.form.requestSubmit(); }
  });
}

async function patchTicket(patch) {
  const id = S.ticketId;
  try {
    await api('PATCH', `/tickets/${id}`, patch);
    toast('工单已更新', { kind: 'ok' });
  } catch (error) {
    toastError(error);
  }
  // Either way, show what the server holds now.
  openTicket(id);
  loadTickets();
}

async function addNote(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const text = $('#note-text').value.trim();
  if (!text) return showFormError(form, new Error('备注不能为空'));
  const button = $('#note-add');
  button.disabled = true;
  try {
    await api('POST', `/tickets/${S.ticketId}/notes`, { body: text });
    $('#note-text').value = '';
    await openTicket(S.ticketId);
    $('#note-text')?.focus();
  } catch (error) {
    showFormError(form, error);
    button.disabled = false;
  }
}

// ---------- live feed ----------
let ws = null;
let wsRetry = 0;
let wsTimer = null;
let wsEverOpen = false;

function setFeed(state) {
  const box = $('#feed-status');
  box.dataset.state = state;
  box.textContent = { connecting: '连接中…', live: '实时', down: '已断开，正在重连' }[state];
}

function startFeed() {
  stopFeed();
  wsRetry = 0;
  wsEverOpen = false;
  connectFeed();
}

function stopFeed() {
  clearTimeout(wsTimer);
  if (ws) {
    ws.onclose = null;
    ws.close();
    ws = null;
  }
}

function connectFeed() {
  if (!auth.token) return;
  const params = new URLSearchParams({ token: auth.token });
  if (S.lastEventId !== null) params.set('after', String(S.lastEventId));
  setFeed(wsEverOpen ? 'down' : 'connecting');
  const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/agent?${params}`);
  ws = socket;
  socket.onopen = () => {
    wsRetry = 0;
    setFeed('live');
    // Anything may have happened while we were away: resync the views.
    if (wsEverOpen) {
      refreshLists();
      if (S.openId) loadOpen();
      scheduleTickets();
    }
    wsEverOpen = true;
  };
  socket.onmessage = (message) => {
    let event;
    try { event = JSON.parse(message.data); } catch { return; }
    if (typeof event.id === 'number') {
      if (S.lastEventId !== null && event.id <= S.lastEventId) return;
      S.lastEventId = event.id;
    }
    handleEvent(event);
  };
  socket.onclose = () => {
    if (ws !== socket || !auth.token) return;
    setFeed('down');
    const delay = Math.min(30000, 1000 * 2 ** wsRetry) * (0.75 + Math.random() * 0.5);
    wsRetry += 1;
    // A few failures in a row may mean the session expired: /me answers 401 and signs out.
    if (wsRetry >= 3) api('GET', '/me').catch(() => {});
    wsTimer = setTimeout(connectFeed, delay);
  };
}

const LIST_KINDS = new Set(['customer_message', 'queued', 'assigned', 'agent_message', 'transferred', 'closed', 'rated', 'transferred_out']);

function handleEvent(event) {
  const kind = event.kind;
  const me = S.me?.id;
  if (LIST_KINDS.has(kind)) scheduleLists();
  if (event.conversation_id && event.conversation_id === S.openId) scheduleOpen();
  if (kind.startsWith('ticket_')) {
    scheduleTickets();
    if (event.ticket_id && event.ticket_id === S.ticketId) scheduleTicketDetail();
    if (event.conversation_id && S.open && S.open.conversation.customer_id === S.customerId) scheduleCustomer();
  }
  if (kind === 'closed' || kind === 'rated') scheduleCustomer();
  if (kind === 'agent_status') {
    scheduleAgents();
    if (event.agent_id === me && event.payload?.status) {
      S.me.status = event.payload.status;
      setStatusSelect(event.payload.status);
    }
  }
  if (kind === 'queued' || (kind === 'transferred' && event.payload?.to_group)) {
    notify('新的排队会话');
  } else if (kind === 'customer_message' && event.agent_id === me) {
    notify('新消息', event.conversation_id);
  } else if ((kind === 'assigned' || kind === 'transferred') && event.agent_id === me) {
    notify('新会话', event.conversation_id);
    if (!S.openId && S.view === 'conv') openConversation(event.conversation_id);
  }
}

resumeSession(startApp);
