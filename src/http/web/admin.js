// kefu 管理: agents, knowledge status, "try the bot", unanswered questions (gaps). Plain JS; server text only via textContent.
'use strict';

// $, el, pad2, api, toasts, showLogin and the session token: common.js.

// The admin page's own full timestamp: "YYYY-MM-DD HH:MM:SS", '—' when missing.
function fmtTime(ms) {
  if (!ms) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}
const splitList = (text) => [...new Set(text.split(/[,，;；\s]+/).map((t) => t.trim()).filter(Boolean))];

const ROLE = { agent: '客服', admin: '管理员' };
const STATUS = { online: '在线', away: '离开', offline: '离线' };

let me = null;
let agents = [];

// ---------- session (showLogin, logout, resumeSession: common.js) ----------
function signedOut(message) {
  forgetToken();
  showLogin(message);
}

bindLoginForm(start);

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
  loadGaps();
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
    loadGaps(); // proposals are made against the knowledge now loaded
  }
});

const stat = (value, label) => el('div', { class: 'stat' }, el('b', { text: value ?? '—' }), el('span', { text: label }));
$('#kn-refresh').addEventListener('click', loadKnowledge);

// ---------- try the bot ----------
// Shorter wording than the workbench's handoffLabel, so each page keeps its own.
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

// ---------- unanswered questions (gaps) ----------
// The bot's misses in a period, clustered by question; an operator picks clusters, names the
// entry each should join (empty = a new entry) and downloads the YAML patch for the knowledge
// files. kefu never edits those files itself.
const GAP_REASONS = [
  ['fallback', '未识别', 'low', '机器人没听懂'],
  ['clarify_ignored', '未选择', 'mid', '机器人给了选项，客户一个也没选'],
  ['handoff_after_fallbacks', '多次未识别转人工', 'warn', '连续没听懂，转给了人工'],
  ['likely_wrong', '疑似答错', 'info', '回答后客户很快换个说法再问，或要求转人工'],
];
const GAP_REASON = Object.fromEntries(GAP_REASONS.map(([key, label, level, title]) => [key, { label, level, title }]));
const GAP_ENTRIES_SHOWN = 15;

let gapsReport = null;
let gapsSeq = 0;
let gapsAllEntries = false;
// What the operator chose per cluster, by its question, so a refresh keeps it.
const gapChoices = new Map();

const pct = (rate) => `${Math.round(Number(rate || 0) * 1000) / 10}%`;

function gapsQuery() {
  const min = Math.max(1, Math.floor(Number($('#gaps-min').value)) || 1);
  $('#gaps-min').value = String(min);
  return `since=${encodeURIComponent($('#gaps-since').value)}&min_count=${min}`;
}

async function loadGaps() {
  const seq = ++gapsSeq;
  const box = $('#gaps-clusters');
  box.setAttribute('aria-busy', 'true');
  $('#gaps-refresh').disabled = true;
  try {
    const report = await api('GET', `/admin/gaps?${gapsQuery()}`);
    if (seq !== gapsSeq) return;
    gapsReport = report;
    renderGaps(report);
  } catch (error) {
    if (seq !== gapsSeq) return;
    if (error.status === 403) return denied();
    gapsReport = null;
    $('#gaps-summary').textContent = '';
    box.replaceChildren(el('div', { class: 'err-box', role: 'alert', text: `无法获取未解决的问题：${error.message}` }));
    $('#gaps-entries-body').replaceChildren();
    updateGapPicks();
  } finally {
    if (seq === gapsSeq) {
      box.removeAttribute('aria-busy');
      $('#gaps-refresh').disabled = false;
    }
  }
}

function renderGaps(report) {
  const clusters = report.clusters || [];
  const messages = report.messages || 0;
  const gaps = report.gaps || 0;
  const min = Number($('#gaps-min').value) || 1;
  $('#gaps-summary').replaceChildren(...[
    el('span', { class: 'muted', text: `自 ${fmtTime(report.since)} 起：` }),
    '分析了 ', el('b', { text: String(messages) }), ' 条客户消息，其中 ',
    el('b', { class: gaps ? 'gaps-bad' : undefined, text: String(gaps) }),
    ` 条未解决${messages ? `（${pct(gaps / messages)}）` : ''}，归为 `,
    el('b', { text: String(clusters.length) }), ' 组问题',
    min > 1 ? el('span', { class: 'muted', text: `（只列出至少出现 ${min} 次的）` }) : null].filter(Boolean));

  const ids = new Map();
  for (const e of report.entries || []) ids.set(e.entry, e.question);
  for (const c of clusters) if (c.proposal?.entry && !ids.has(c.proposal.entry)) ids.set(c.proposal.entry, c.proposal.question);
  $('#gaps-entry-ids').replaceChildren(...[...ids].sort(([a], [b]) => a.localeCompare(b))
    .map(([id, question]) => el('option', { value: id, label: question || undefined })));

  const box = $('#gaps-clusters');
  if (!clusters.length) {
    box.replaceChildren(el('div', { id: 'gaps-empty', class: 'gaps-empty' }, gaps
      ? `有 ${gaps} 条未解决的消息，但没有问题出现至少 ${min} 次。把「至少出现」调小一些再看。`
      : messages
        ? '这段时间没有未解决的问题：机器人都答上来了。'
        : '这段时间还没有客户消息。'));
  } else {
    box.replaceChildren(el('table', { class: 'grid gaps-table', id: 'gaps-table' },
      el('caption', { class: 'sr-only', text: '未解决的问题组，出现最多的在前' }),
      el('thead', {}, el('tr', {},
        el('th', { class: 'gap-pick-cell' },
          el('input', { type: 'checkbox', id: 'gaps-pick-all', 'aria-label': '全选问题组', onchange: (event) => pickAllGaps(event.currentTarget.checked) })),
        el('th', { class: 'r', text: '次数' }),
        el('th', { text: '原因' }),
        el('th', { text: '客户的问题' }),
        el('th', { text: '建议' }),
        el('th', { text: '加入条目' }))),
      el('tbody', {}, clusters.map(gapClusterRow))));
  }
  renderGapEntries(report.entries || []);
  updateGapPicks();
}

function gapClusterRow(c) {
  const proposal = c.proposal || { kind: 'new' };
  const choice = gapChoices.get(c.question);
  const texts = c.texts || [];
  const examples = c.examples || [];
  const pick = el('input', {
    type: 'checkbox', class: 'gap-pick', id: `gap-pick-${c.id}`, checked: Boolean(choice?.picked),
    'aria-label': `选择问题组 ${c.id}：${c.question}`,
    onchange: () => { saveGapChoice(c, row); updateGapPicks(); },
  });
  const entry = el('input', {
    type: 'text', class: 'gap-entry mono', list: 'gaps-entry-ids', autocomplete: 'off', spellcheck: 'false',
    value: choice ? choice.entry : proposal.kind === 'extend' ? proposal.entry : '',
    placeholder: '留空 = 新建条目', 'aria-label': `问题组 ${c.id} 要加入的条目 id，留空为新建条目`,
    oninput: () => {
      entry.removeAttribute('aria-invalid');
      pick.checked = true;
      saveGapChoice(c, row);
      updateGapPicks();
    },
  });
  const row = el('tr', { class: 'gap-cluster', dataset: { id: c.id } },
    el('td', { class: 'gap-pick-cell' }, pick),
    el('td', { class: 'r mono gap-count', text: String(c.count) }),
    el('td', { class: 'gap-reasons' }, GAP_REASONS.filter(([key]) => c.reasons?.[key]).map(([key, label, level, title]) =>
      el('span', { class: `decision lv-${level} gap-reason`, dataset: { reason: key }, title, text: `${label} ${c.reasons[key]}` }))),
    el('td', { class: 'gap-q' },
      el('div', { class: 'gap-question-line' },
        el('label', { class: 'gap-question', for: `gap-pick-${c.id}`, text: c.question }),
        el('button', {
          class: 'btn small ghost gap-try', type: 'button', text: '试一试', 'aria-label': `用「${c.question}」试一试机器人`,
          onclick: () => tryQuestion(c.question),
        })),
      texts.length > 1 || (texts[0] && texts[0].count > 1)
        ? el('details', { class: 'gap-texts' }, el('summary', { text: `${texts.length} 种说法` }),
          el('ul', {}, texts.map((t) => el('li', {}, el('span', { text: t.text }), el('span', { class: 'muted small', text: ` ×${t.count}` })))))
        : null,
      examples.length
        ? el('details', { class: 'gap-examples' }, el('summary', { text: `最近 ${examples.length} 条消息` }),
          el('ul', {}, examples.map((x) => el('li', { dataset: { messageId: x.message_id, conversationId: x.conversation_id } },
            el('span', { class: 'muted small mono', text: fmtTime(x.at) }),
            el('span', { class: 'muted small', text: `会话 #${x.conversation_id}` }),
            el('span', { class: 'small', text: GAP_REASON[x.reason]?.label || x.reason }),
            x.entry ? el('span', { class: 'muted small', text: `答的是 ${x.entry}` }) : null,
            el('span', { class: 'gap-example-text', text: x.text })))))
        : null),
    el('td', { class: 'gap-proposal', dataset: { kind: proposal.kind } }, proposalView(proposal)),
    el('td', { class: 'gap-entry-cell' }, entry));
  return row;
}

function proposalView(p) {
  const where = (p.question || p.file) && el('div', { class: 'muted small', text: [p.question, p.file].filter(Boolean).join(' · ') });
  switch (p.kind) {
    case 'extend':
      return [el('div', {}, '加入条目 ', el('span', { class: 'mono', text: p.entry }),
        p.confidence == null ? null : `（置信度 ${Number(p.confidence).toFixed(2)}）`), where];
    case 'review':
      return [el('div', { class: 'gap-review', title: '客户的说法能匹配到这个条目，但它的回答没帮上忙：改写答案或拆分条目' },
        '复查条目 ', el('span', { class: 'mono', text: p.entry }), ' 的答案'), where];
    case 'new':
      return el('div', { title: '知识库里没有相近的条目' }, '新建条目');
    default:
      return el('div', { text: String(p.kind ?? '—') });
  }
}

function saveGapChoice(c, row) {
  gapChoices.set(c.question, { picked: $('.gap-pick', row).checked, entry: $('.gap-entry', row).value });
}

function pickAllGaps(on) {
  for (const row of document.querySelectorAll('#gaps-clusters .gap-cluster')) {
    $('.gap-pick', row).checked = on;
    const c = gapsReport?.clusters?.find((x) => String(x.id) === row.dataset.id);
    if (c) saveGapChoice(c, row);
  }
  updateGapPicks();
}

function pickedGapRows() {
  return [...document.querySelectorAll('#gaps-clusters .gap-cluster')].filter((row) => $('.gap-pick', row).checked);
}

function updateGapPicks() {
  const rows = [...document.querySelectorAll('#gaps-clusters .gap-cluster')];
  const picked = pickedGapRows();
  const all = $('#gaps-pick-all');
  if (all) {
    all.checked = rows.length > 0 && picked.length === rows.length;
    all.indeterminate = picked.length > 0 && picked.length < rows.length;
  }
  const fresh = picked.filter((row) => !$('.gap-entry', row).value.trim()).length;
  $('#gaps-picked').textContent = picked.length
    ? `已选 ${picked.length} 组：加入已有条目 ${picked.length - fresh} 组，新建条目 ${fresh} 组`
    : '勾选要处理的问题组，填写要加入的条目（留空 = 新建条目）';
  $('#gaps-download').disabled = picked.length === 0;
}

function tryQuestion(text) {
  $('#try-text').value = text;
  $('#try-form').requestSubmit();
  $('#try-title').scrollIntoView({ behavior: 'smooth', block: 'start' });
}

function renderGapEntries(entries) {
  const body = $('#gaps-entries-body');
  if (!entries.length) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: '5', class: 'muted', text: '这段时间机器人还没有用知识库条目回答过问题' })));
    return;
  }
  const shown = gapsAllEntries ? entries : entries.slice(0, GAP_ENTRIES_SHOWN);
  const more = entries.length > GAP_ENTRIES_SHOWN
    ? [el('tr', {}, el('td', { colspan: '5' }, el('button', {
      class: 'btn link', type: 'button', id: 'gaps-entries-more',
      text: gapsAllEntries ? `只看前 ${GAP_ENTRIES_SHOWN} 个` : `显示全部 ${entries.length} 个条目`,
      onclick: () => { gapsAllEntries = !gapsAllEntries; renderGapEntries(entries); },
    })))]
    : [];
  body.replaceChildren(...shown.map((e) => {
    const rate = Number(e.rate) || 0;
    const level = e.likely_wrong === 0 ? 'ok' : rate >= 0.3 ? 'low' : rate >= 0.1 ? 'mid' : 'info';
    return el('tr', { class: 'gap-entry-row', dataset: { entry: e.entry } },
      el('td', { class: 'mono', text: e.entry }),
      el('td', {}, e.question ? e.question : el('span', { class: 'muted', text: '（已不在知识库中）' })),
      el('td', { class: 'r mono', text: String(e.answers) }),
      el('td', { class: 'r mono', text: String(e.likely_wrong) }),
      el('td', { class: 'gap-rate' },
        el('span', { class: `decision lv-${level}`, text: pct(rate) }),
        el('span', { class: 'gap-bar', 'aria-hidden': 'true' }, el('span', { class: `lv-${level}`, style: `width: ${Math.min(100, rate * 100)}%` }))));
  }), ...more);
}

// Clusters for the same entry go in one item, so the patch has one block per entry; each
// cluster without an entry is a new entry of its own.
function gapPatchItems(rows) {
  const items = [];
  const byEntry = new Map();
  for (const row of rows) {
    const c = gapsReport?.clusters?.find((x) => String(x.id) === row.dataset.id);
    const texts = (c?.texts || []).map((t) => t.text);
    if (!texts.length) continue;
    const entry = $('.gap-entry', row).value.trim() || null;
    if (entry && byEntry.has(entry)) {
      byEntry.get(entry).texts.push(...texts);
      continue;
    }
    const item = { entry, texts };
    if (entry) byEntry.set(entry, item);
    items.push(item);
  }
  return items;
}

function downloadText(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = el('a', { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

$('#gaps-download').addEventListener('click', async () => {
  const rows = pickedGapRows();
  const items = gapPatchItems(rows);
  if (!items.length) return toast('请先勾选要处理的问题组', { kind: 'warn' });
  const button = $('#gaps-download');
  button.disabled = true;
  rows.forEach((row) => $('.gap-entry', row).removeAttribute('aria-invalid'));
  try {
    const yaml = await api('POST', '/admin/gaps/patch', { items }, { text: true });
    $('#gaps-patch').textContent = yaml;
    $('#gaps-patch-box').hidden = false;
    downloadText('kefu-gaps.yaml', yaml, 'text/yaml;charset=utf-8');
    toast(`已生成补丁（${items.length} 处），正在下载 kefu-gaps.yaml`, { kind: 'ok' });
  } catch (error) {
    const unknown = /no knowledge entry `([^`]*)`/.exec(error.message || '');
    if (unknown) {
      const bad = rows.filter((row) => $('.gap-entry', row).value.trim() === unknown[1]);
      bad.forEach((row) => $('.gap-entry', row).setAttribute('aria-invalid', 'true'));
      bad[0] && $('.gap-entry', bad[0]).focus();
      toast(`知识库里没有条目「${unknown[1]}」：请检查条目 id，或留空新建条目`, { kind: 'error' });
    } else if (/no texts to add/.test(error.message || '')) {
      toast('所选问题的说法知识库里都已经有了，没有要添加的内容', { kind: 'warn' });
    } else {
      toastError(error);
    }
  } finally {
    updateGapPicks();
  }
});

$('#gaps-copy').addEventListener('click', async () => {
  const pre = $('#gaps-patch');
  try {
    await navigator.clipboard.writeText(pre.textContent);
    toast('已复制到剪贴板', { kind: 'ok' });
  } catch {
    const range = document.createRange();
    range.selectNodeContents(pre);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    pre.focus();
    toast('无法直接复制：内容已选中，请按 Ctrl+C（Mac 为 ⌘C）');
  }
});

$('#gaps-since').addEventListener('change', loadGaps);
$('#gaps-min').addEventListener('change', loadGaps);
$('#gaps-refresh').addEventListener('click', loadGaps);

resumeSession(start);
