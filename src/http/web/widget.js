/* kefu website chat widget. Self-contained: no dependencies, injects its own styles.
 * <script src="https://HOST/widget.js" data-title="…" data-color="#07c160"
 *         data-user="UID" data-sig="HEX" data-name="…" defer></script>
 * Everything from the server or the visitor is inserted as text nodes, never as HTML. */
(() => {
  'use strict';
  if (window.__kefuWidget) return;
  window.__kefuWidget = true;

  const script =
    document.currentScript ||
    [...document.scripts].reverse().find((s) => /\/widget\.js(?:[?#]|$)/.test(s.src));
  if (!script || !script.src) return;

  const base = new URL(script.src, location.href);
  const ds = script.dataset;
  const ACCENT = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(ds.color || '') ? ds.color : '#07c160';
  const TITLE = (ds.title || '在线客服').slice(0, 40);
  const MAX_LEN = 2000;
  const TYPING_TIMEOUT = 6000;
  const OUTBOX_TTL = 24 * 3600 * 1000;
  const K_VISITOR = 'kefu.visitor';
  const K_OUTBOX = 'kefu.outbox';
  const K_SEEN = 'kefu.seen';
  const K_OPEN = 'kefu.open';
  const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const RATINGS = ['非常不满意', '不满意', '一般', '满意', '非常满意'];

  // ---------- storage (private modes and sandboxed frames can throw) ----------
  const memory = new Map();
  const probe = (kind) => {
    try {
      const s = window[kind];
      s.setItem('kefu.probe', '1');
      s.removeItem('kefu.probe');
      return s;
    } catch {
      return null;
    }
  };
  const local = probe('localStorage');
  const session = probe('sessionStorage');
  const load = (s, k) => {
    try {
      if (s) return s.getItem(k);
    } catch {}
    return memory.has(k) ? memory.get(k) : null;
  };
  const save = (s, k, v) => {
    try {
      if (s) return void s.setItem(k, v);
    } catch {}
    memory.set(k, v);
  };

  const randomId = (n, alphabet) => {
    const bytes = crypto.getRandomValues(new Uint8Array(n));
    let out = '';
    for (const b of bytes) out += alphabet[b % alphabet.length];
    return out;
  };

  // ---------- identity ----------
  let visitor = load(local, K_VISITOR);
  if (!/^[A-Za-z0-9]{24}$/.test(visitor || '')) {
    visitor = randomId(24, ALNUM);
    save(local, K_VISITOR, visitor);
  }
  const signed = Boolean(ds.user && ds.sig);
  // The outbox is shared by every identity that used this browser; only resend our own.
  const WHO = signed ? 'u:' + ds.user : 'v:' + visitor;

  const socketUrl = () => {
    const u = new URL('/ws/chat', base);
    u.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
    if (signed) {
      u.searchParams.set('user', ds.user);
      u.searchParams.set('sig', ds.sig);
    } else {
      u.searchParams.set('visitor', visitor);
    }
    if (ds.name) u.searchParams.set('name', ds.name);
    return u.href;
  };

  // ---------- outbox: unacked messages survive reloads and reconnects ----------
  const readOutbox = () => {
    try {
      const list = JSON.parse(load(local, K_OUTBOX) || '[]');
      return Array.isArray(list)
        ? list.filter((m) => m && typeof m.client_id === 'string' && typeof m.text === 'string')
        : [];
    } catch {
      return [];
    }
  };
  const writeOutbox = (list) => save(local, K_OUTBOX, JSON.stringify(list.slice(-100)));
  const outboxAdd = (item) => writeOutbox([...readOutbox().filter((m) => m.client_id !== item.client_id), item]);
  const outboxRemove = (cid) => writeOutbox(readOutbox().filter((m) => m.client_id !== cid));
  const myOutbox = () => readOutbox().filter((m) => m.who === WHO);

  // ---------- colors ----------
  // A darker shade of the accent for text on light backgrounds, so links and choices stay readable.
  const inkOf = (hex) => {
    let h = hex.slice(1);
    if (h.length === 3) h = [...h].map((c) => c + c).join('');
    let rgb = [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
    const lum = (c) => {
      const [r, g, b] = c.map((v) => {
        v /= 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    for (let i = 0; i < 30 && 1.05 / (lum(rgb) + 0.05) < 4.6; i++) rgb = rgb.map((v) => Math.floor(v * 0.9));
    return '#' + rgb.map((v) => v.toString(16).padStart(2, '0')).join('');
  };

  // ---------- styles ----------
  const FONT =
    '-apple-system,BlinkMacSystemFont,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC","Helvetica Neue",Arial,sans-serif';
  const starRules = [1, 2, 3, 4, 5]
    .map((n) => `#kefu-root .kefu-stars[data-hover="${n}"] button:nth-child(-n+${n})`)
    .join(',');
  const CSS = `
#kefu-root{--kefu-accent:${ACCENT};--kefu-ink:${inkOf(ACCENT)};--kefu-tint:#e7f8ee;--kefu-user:#95ec69;
  position:fixed;z-index:2147483000;right:0;bottom:0;width:0;height:0;
  font:14px/1.5 ${FONT};color:#111;text-align:left;letter-spacing:normal;-webkit-font-smoothing:antialiased;-webkit-text-size-adjust:100%}
@supports (color:color-mix(in srgb,red 50%,white)){#kefu-root{
  --kefu-tint:color-mix(in srgb,var(--kefu-accent) 11%,#fff);--kefu-user:color-mix(in srgb,var(--kefu-accent) 52%,#fff)}}
#kefu-root *,#kefu-root *::before,#kefu-root *::after{box-sizing:border-box}
#kefu-root [hidden]{display:none!important}
#kefu-root button{font:inherit;color:inherit;margin:0;padding:0;border:0;background:none;cursor:pointer;text-transform:none;letter-spacing:inherit;-webkit-tap-highlight-color:transparent}
#kefu-root svg{display:block;flex:none}
#kefu-root :focus{outline:none}
#kefu-root :focus-visible{outline:2px solid var(--kefu-ink);outline-offset:2px}
#kefu-root .kefu-sr{position:absolute!important;width:1px!important;height:1px!important;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}

#kefu-root #kefu-launcher{position:fixed;right:24px;bottom:24px;width:60px;height:60px;border-radius:50%;
  background:var(--kefu-accent);color:#fff;display:flex;align-items:center;justify-content:center;
  box-shadow:0 6px 20px rgba(0,0,0,.18),0 2px 6px rgba(0,0,0,.12);transition:transform .2s ease,box-shadow .2s ease}
#kefu-root #kefu-launcher:hover{transform:translateY(-2px);box-shadow:0 10px 26px rgba(0,0,0,.2),0 3px 8px rgba(0,0,0,.12)}
#kefu-root #kefu-launcher:focus-visible{outline:3px solid var(--kefu-ink);outline-offset:3px}
#kefu-root #kefu-launcher svg{width:30px;height:30px}
#kefu-root #kefu-launcher .kefu-i-close{display:none;width:26px;height:26px}
#kefu-root.kefu-open #kefu-launcher .kefu-i-chat{display:none}
#kefu-root.kefu-open #kefu-launcher .kefu-i-close{display:block}
#kefu-root .kefu-badge{position:absolute;top:-3px;right:-3px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;
  background:#fa5151;color:#fff;font-size:12px;font-weight:600;line-height:18px;text-align:center;border:2px solid #fff}

#kefu-root #kefu-panel{position:fixed;right:24px;bottom:96px;width:380px;height:min(640px,calc(100vh - 120px));min-height:360px;
  display:flex;flex-direction:column;background:#ededed;border-radius:16px;overflow:hidden;
  box-shadow:0 16px 48px rgba(0,0,0,.2),0 2px 8px rgba(0,0,0,.08);animation:kefu-in .18s ease-out}
@keyframes kefu-in{from{opacity:0;transform:translateY(12px) scale(.98)}}
@keyframes kefu-spin{to{transform:rotate(360deg)}}
@keyframes kefu-blink{0%,80%,100%{opacity:.25}40%{opacity:1}}

#kefu-root .kefu-header{flex:none;display:flex;align-items:center;gap:10px;padding:12px 8px 12px 14px;background:#f7f7f7;border-bottom:1px solid rgba(0,0,0,.07)}
#kefu-root .kefu-logo{width:38px;height:38px;border-radius:50%;background:var(--kefu-accent);color:#fff;display:flex;align-items:center;justify-content:center}
#kefu-root .kefu-logo svg{width:22px;height:22px}
#kefu-root .kefu-heading{flex:1;min-width:0}
#kefu-root #kefu-title{font-size:16px;font-weight:600;line-height:22px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
#kefu-root #kefu-subtitle{display:flex;align-items:center;gap:6px;font-size:12px;line-height:17px;color:#6f6f6f;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
#kefu-root #kefu-subtitle::before{content:"";flex:none;width:7px;height:7px;border-radius:50%;background:var(--kefu-accent)}
#kefu-root #kefu-subtitle[data-off]::before{background:#c0c0c0}
#kefu-root .kefu-close{flex:none;width:40px;height:40px;border-radius:50%;display:flex;align-items:center;justify-content:center;color:#555}
#kefu-root .kefu-close:hover{background:rgba(0,0,0,.06)}
#kefu-root .kefu-close svg{width:20px;height:20px}

#kefu-root #kefu-conn{flex:none;display:flex;align-items:center;justify-content:center;gap:8px;padding:6px 12px;background:#fff7e6;color:#8a5300;font-size:12px;line-height:18px}
#kefu-root #kefu-conn button{color:var(--kefu-ink);font-weight:600;text-decoration:underline;text-underline-offset:2px}
#kefu-root #kefu-state{flex:none;padding:8px 14px;background:var(--kefu-tint);color:var(--kefu-ink);font-size:13px;line-height:18px;text-align:center;border-bottom:1px solid rgba(0,0,0,.04)}

#kefu-root #kefu-messages{flex:1;min-height:0;overflow-y:auto;overscroll-behavior:contain;padding:14px 12px 10px;display:flex;flex-direction:column;gap:14px}
#kefu-root #kefu-messages:focus-visible{outline-offset:-2px}
#kefu-root #kefu-panel:focus-visible{outline:none}
#kefu-root .kefu-empty{margin:auto;color:#9a9a9a;font-size:13px;text-align:center}
#kefu-root .kefu-msg{display:flex;flex-wrap:wrap;align-items:flex-start;gap:8px;flex:none}
#kefu-root .kefu-msg[data-time]::before{content:attr(data-time);flex:0 0 100%;text-align:center;font-size:12px;line-height:16px;color:#9a9a9a;margin:2px 0 4px}
#kefu-root .kefu-msg.kefu-cont{margin-top:-8px}
#kefu-root .kefu-cont .kefu-name{display:none}
#kefu-root .kefu-cont .kefu-avatar{visibility:hidden;height:0}
#kefu-root .kefu-avatar{flex:none;width:34px;height:34px;border-radius:50%;display:flex;align-items:center;justify-content:center;
  background:var(--kefu-accent);color:#fff;font-size:14px;font-weight:600;user-select:none}
#kefu-root .kefu-avatar svg{width:20px;height:20px}
#kefu-root .kefu-from-agent .kefu-avatar{background:#4a7cf0}
#kefu-root .kefu-body{display:flex;flex-direction:column;align-items:flex-start;min-width:0;max-width:calc(100% - 84px)}
#kefu-root .kefu-name{font-size:12px;line-height:16px;color:#8a8a8a;margin:0 0 4px 2px}
#kefu-root .kefu-from-agent .kefu-name{color:#3d68c9}
#kefu-root .kefu-bubble{position:relative;max-width:100%;padding:9px 12px;border-radius:4px 14px 14px 14px;background:#fff;color:#111;
  font-size:15px;line-height:1.6;white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word;box-shadow:0 1px 1px rgba(0,0,0,.04)}
#kefu-root .kefu-bubble a{color:var(--kefu-ink);text-decoration:underline;text-underline-offset:2px}
#kefu-root .kefu-from-agent .kefu-bubble{background:#eaf1ff}
#kefu-root .kefu-from-user{justify-content:flex-end}
#kefu-root .kefu-from-user .kefu-body{align-items:flex-end;max-width:80%}
#kefu-root .kefu-from-user .kefu-bubble{background:var(--kefu-user);color:#0b1a10;border-radius:14px 4px 14px 14px}
#kefu-root .kefu-from-user .kefu-bubble a{color:inherit}
#kefu-root .kefu-pending .kefu-bubble{opacity:.75}
#kefu-root .kefu-from-system{justify-content:center}
#kefu-root .kefu-system-text{display:inline-block;max-width:88%;padding:4px 10px;border-radius:6px;background:rgba(0,0,0,.05);color:#727272;
  font-size:12px;line-height:1.6;text-align:center;white-space:pre-wrap;overflow-wrap:anywhere}
#kefu-root .kefu-system-text a{color:var(--kefu-ink)}
#kefu-root .kefu-status{align-self:center;display:flex;align-items:center;justify-content:center;width:20px;height:20px}
#kefu-root .kefu-spinner{width:14px;height:14px;border-radius:50%;border:2px solid #c9c9c9;border-top-color:#7b7b7b;animation:kefu-spin .8s linear infinite}
#kefu-root .kefu-retry{width:20px;height:20px;border-radius:50%;background:#fa5151;color:#fff;font-size:13px;font-weight:700;line-height:20px;text-align:center}
#kefu-root .kefu-error-text{flex:0 0 100%;text-align:right;font-size:12px;color:#d93025}

#kefu-root .kefu-choices{display:flex;flex-direction:column;margin:8px -12px -9px;border-top:1px solid #ececec;white-space:normal}
#kefu-root .kefu-choice{display:flex;align-items:center;justify-content:space-between;gap:10px;width:100%;padding:10px 12px;
  text-align:left;color:var(--kefu-ink);font-size:14px;line-height:1.45}
#kefu-root .kefu-choice+.kefu-choice{border-top:1px solid #f2f2f2}
#kefu-root .kefu-choice:last-child{border-radius:0 0 14px 14px}
#kefu-root .kefu-choice:hover{background:#f6f6f6}
#kefu-root .kefu-choice:focus-visible{outline-offset:-2px}
#kefu-root .kefu-choice svg{width:14px;height:14px;opacity:.6}
#kefu-root .kefu-stale .kefu-choice{color:#576b95}

#kefu-root .kefu-media{padding:0;background:transparent;box-shadow:none;overflow:hidden;border-radius:10px}
#kefu-root .kefu-media a{display:block}
#kefu-root .kefu-img{display:block;width:auto;height:auto;max-width:min(220px,100%);max-height:260px;border-radius:10px;background:#ddd}
#kefu-root .kefu-cardbox{padding:0;width:250px;max-width:100%;overflow:hidden;white-space:normal}
#kefu-root .kefu-bubble .kefu-card{display:block;padding:11px 12px 10px;color:inherit;text-decoration:none}
#kefu-root .kefu-card:hover{background:#fafafa}
#kefu-root .kefu-card:focus-visible{outline-offset:-2px}
#kefu-root .kefu-card-title{font-size:15px;font-weight:600;line-height:1.4;margin-bottom:4px;color:#111}
#kefu-root .kefu-card-row{display:flex;gap:10px;align-items:flex-start}
#kefu-root .kefu-card-desc{flex:1;min-width:0;font-size:13px;line-height:1.5;color:#7a7a7a}
#kefu-root .kefu-card-thumb{flex:none;width:48px;height:48px;border-radius:6px;object-fit:cover;background:#eee}
#kefu-root .kefu-card-foot{display:flex;align-items:center;gap:6px;padding:6px 12px;border-top:1px solid #f0f0f0;font-size:12px;color:#9a9a9a}
#kefu-root .kefu-card-foot svg{width:13px;height:13px}

#kefu-root #kefu-typing{flex:none;display:flex;align-items:center;gap:6px;padding:0 16px 8px;font-size:12px;color:#888}
#kefu-root .kefu-dots{display:inline-flex;gap:3px}
#kefu-root .kefu-dots i{width:5px;height:5px;border-radius:50%;background:#9a9a9a;animation:kefu-blink 1.2s infinite}
#kefu-root .kefu-dots i:nth-child(2){animation-delay:.2s}
#kefu-root .kefu-dots i:nth-child(3){animation-delay:.4s}

#kefu-root .kefu-rate{flex:none;padding:10px 12px 4px;background:#fff;border-top:1px solid rgba(0,0,0,.06);text-align:center}
#kefu-root .kefu-rate-title{margin:0 0 4px;font-size:13px;color:#555}
#kefu-root .kefu-stars{display:flex;justify-content:center;gap:4px}
#kefu-root .kefu-stars button{display:flex;flex-direction:column;align-items:center;gap:1px;min-width:48px;padding:4px 4px 2px;border-radius:8px;color:#d0d0d0}
#kefu-root .kefu-stars button svg{width:28px;height:28px}
#kefu-root .kefu-stars button span{font-size:11px;line-height:14px;color:#8a8a8a}
#kefu-root .kefu-stars button[disabled]{cursor:default;opacity:.6}
${starRules}{color:#ffb400}
#kefu-root .kefu-rate-hint{min-height:16px;margin:0;font-size:12px;line-height:16px;color:#8a8a8a}

#kefu-root .kefu-notice{flex:none;margin:0 12px 8px;padding:8px 12px;border-radius:8px;background:#fff1f0;color:#c5221f;font-size:13px;line-height:18px}

#kefu-root .kefu-composer{flex:none;display:flex;align-items:flex-end;gap:8px;margin:0;padding:8px 10px calc(8px + env(safe-area-inset-bottom,0px));
  background:#f7f7f7;border-top:1px solid rgba(0,0,0,.07)}
#kefu-root #kefu-input{flex:1;display:block;min-width:0;height:40px;min-height:40px;max-height:128px;margin:0;padding:8px 12px;resize:none;
  border:1px solid #e2e2e2;border-radius:8px;background:#fff;color:#111;font:inherit;font-size:16px;line-height:22px;box-shadow:none;outline:none}
#kefu-root #kefu-input::placeholder{color:#a8a8a8}
#kefu-root #kefu-input:focus{border-color:var(--kefu-accent);box-shadow:0 0 0 3px var(--kefu-tint)}
#kefu-root #kefu-send{flex:none;height:40px;padding:0 18px;border-radius:8px;background:var(--kefu-accent);color:#fff;
  font-size:15px;font-weight:600;transition:opacity .15s}
#kefu-root #kefu-send:hover{filter:brightness(.95)}
#kefu-root #kefu-input:placeholder-shown+#kefu-send{opacity:.55}

@media (max-width:599.98px){
  #kefu-root #kefu-launcher{right:16px;bottom:16px;width:56px;height:56px}
  #kefu-root #kefu-panel{top:0;left:0;right:0;bottom:0;width:auto;height:auto;min-height:0;border-radius:0;box-shadow:none}
  #kefu-root.kefu-open #kefu-launcher{display:none}
  #kefu-root .kefu-body{max-width:calc(100% - 64px)}
}
@media (prefers-reduced-motion:reduce){
  #kefu-root #kefu-panel,#kefu-root #kefu-launcher{animation:none;transition:none}
  #kefu-root .kefu-spinner,#kefu-root .kefu-dots i{animation-duration:3s}
}`;

  // ---------- DOM helpers (text only: strings become text nodes) ----------
  const h = (tag, attrs, ...children) => {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) if (c != null && c !== false) el.append(c);
    return el;
  };
  const SVG = 'http://www.w3.org/2000/svg';
  const icon = (cls, viewBox, ...shapes) => {
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', viewBox);
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    if (cls) svg.setAttribute('class', cls);
    for (const [tag, attrs] of shapes) {
      const s = document.createElementNS(SVG, tag);
      for (const [k, v] of Object.entries(attrs)) s.setAttribute(k, v);
      svg.append(s);
    }
    return svg;
  };
  const STROKE = { fill: 'none', stroke: 'currentColor', 'stroke-width': '2', 'stroke-linecap': 'round', 'stroke-linejoin': 'round' };
  const chatIcon = (cls) =>
    icon(cls, '0 0 24 24',
      ['path', { d: 'M12 3.5c-4.97 0-9 3.36-9 7.5 0 2.3 1.24 4.36 3.2 5.74L5.5 20l3.86-1.93c.84.2 1.72.31 2.64.31 4.97 0 9-3.36 9-7.5S16.97 3.5 12 3.5z', fill: 'currentColor' }],
      ['circle', { cx: '8', cy: '11', r: '1.25', fill: ACCENT }],
      ['circle', { cx: '12', cy: '11', r: '1.25', fill: ACCENT }],
      ['circle', { cx: '16', cy: '11', r: '1.25', fill: ACCENT }]);
  const closeIcon = (cls) => icon(cls, '0 0 24 24', ['path', { d: 'M6 6l12 12M18 6L6 18', ...STROKE }]);
  const botIcon = () =>
    icon('', '0 0 24 24',
      ['rect', { x: '4', y: '8', width: '16', height: '11', rx: '4', ...STROKE }],
      ['path', { d: 'M12 4v4M9.5 13v1M14.5 13v1', ...STROKE }],
      ['circle', { cx: '12', cy: '3.5', r: '1.2', fill: 'currentColor' }]);
  const chevron = () => icon('', '0 0 24 24', ['path', { d: 'M9 6l6 6-6 6', ...STROKE }]);
  const starIcon = () =>
    icon('', '0 0 24 24', ['path', { d: 'M12 2.8l2.84 5.76 6.36.92-4.6 4.48 1.09 6.33L12 17.3l-5.69 2.99 1.09-6.33-4.6-4.48 6.36-.92z', fill: 'currentColor' }]);
  const linkIcon = () =>
    icon('', '0 0 24 24', ['path', { d: 'M10 14a4 4 0 005.66 0l3-3a4 4 0 00-5.66-5.66l-1 1M14 10a4 4 0 00-5.66 0l-3 3a4 4 0 005.66 5.66l1-1', ...STROKE }]);
  const appIcon = () =>
    icon('', '0 0 24 24', ['circle', { cx: '12', cy: '12', r: '8', ...STROKE }], ['circle', { cx: '12', cy: '12', r: '2.5', fill: 'currentColor' }]);

  // Only http(s) URLs are ever put into href/src; relative ones resolve against the kefu server.
  const safeUrl = (raw) => {
    if (typeof raw !== 'string' || !raw.trim()) return null;
    try {
      const u = new URL(raw.trim(), base);
      return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
    } catch {
      return null;
    }
  };

  const URL_RE = /https?:\/\/[^\s<>"'`，。！？；：、（）【】《》「」]+/g;
  const appendText = (parent, text) => {
    let last = 0;
    for (const m of text.matchAll(URL_RE)) {
      let raw = m[0];
      const trail = /[.,;:!?)\]}'"]+$/.exec(raw);
      if (trail) raw = raw.slice(0, -trail[0].length);
      const href = safeUrl(raw);
      if (!href) continue;
      if (m.index > last) parent.append(text.slice(last, m.index));
      parent.append(h('a', { href, target: '_blank', rel: 'noopener noreferrer nofollow' }, raw));
      last = m.index + raw.length;
    }
    if (last < text.length) parent.append(text.slice(last));
  };

  const CHOICE_RE = /^\s*(\d+)\.\s+(.+)$/;
  const parseChoices = (text) => {
    const lines = text.split(/\r?\n/);
    const rest = [lines[0]];
    const choices = [];
    for (const line of lines.slice(1)) {
      const m = CHOICE_RE.exec(line);
      if (m) choices.push({ n: m[1], title: m[2].trim() });
      else rest.push(line);
    }
    return { text: rest.join('\n').replace(/\s+$/, ''), choices };
  };

  const pad = (n) => String(n).padStart(2, '0');
  const formatTime = (ms) => {
    const d = new Date(ms);
    const now = new Date();
    const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    const day = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
    const diff = Math.round((day(now) - day(d)) / 86400000);
    if (diff === 0) return hm;
    if (diff === 1) return `昨天 ${hm}`;
    if (d.getFullYear() === now.getFullYear()) return `${d.getMonth() + 1}月${d.getDate()}日 ${hm}`;
    return `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日 ${hm}`;
  };

  // ---------- build the UI ----------
  const style = h('style', { id: 'kefu-style' });
  style.textContent = CSS;
  document.head.append(style);

  const badge = h('span', { class: 'kefu-badge', 'aria-hidden': 'true', hidden: true });
  const launcher = h('button', {
    type: 'button', id: 'kefu-launcher', 'aria-label': '在线客服', 'aria-expanded': 'false', 'aria-controls': 'kefu-panel',
  }, chatIcon('kefu-i-chat'), closeIcon('kefu-i-close'), badge);

  const subtitle = h('div', { id: 'kefu-subtitle' }, '智能客服在线');
  const closeBtn = h('button', { type: 'button', class: 'kefu-close', 'aria-label': '关闭客服窗口', title: '关闭' }, closeIcon());
  const header = h('div', { class: 'kefu-header' },
    h('div', { class: 'kefu-logo', 'aria-hidden': 'true' }, chatIcon()),
    h('div', { class: 'kefu-heading' }, h('div', { id: 'kefu-title', role: 'heading', 'aria-level': '2' }, TITLE), subtitle),
    closeBtn);

  const connText = h('span');
  const connRetry = h('button', { type: 'button', hidden: true }, '立即重连');
  const conn = h('div', { id: 'kefu-conn', role: 'status', hidden: true }, connText, connRetry);
  const stateBar = h('div', { id: 'kefu-state', role: 'status', hidden: true });
  const list = h('div', {
    id: 'kefu-messages', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-label': '聊天记录', tabindex: '0',
  });
  const empty = h('div', { class: 'kefu-empty' }, '您好，有什么可以帮您？');
  const typingText = h('span');
  const typing = h('div', { id: 'kefu-typing', 'aria-live': 'polite', hidden: true },
    h('span', { class: 'kefu-dots', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')), typingText);

  const stars = h('div', { class: 'kefu-stars' });
  const rateHint = h('div', { class: 'kefu-rate-hint', 'aria-hidden': 'true' });
  for (let n = 1; n <= 5; n++) {
    stars.append(h('button', {
      type: 'button', 'data-score': String(n), 'aria-label': `评分 ${n} 分 ${RATINGS[n - 1]}`, title: RATINGS[n - 1],
    }, starIcon(), h('span', { 'aria-hidden': 'true' }, `${n} 分`)));
  }
  const rate = h('div', { class: 'kefu-rate', role: 'group', 'aria-labelledby': 'kefu-rate-title', hidden: true },
    h('div', { class: 'kefu-rate-title', id: 'kefu-rate-title' }, '请为本次服务评分'), stars, rateHint);

  const notice = h('div', { class: 'kefu-notice', role: 'alert', hidden: true });
  const input = h('textarea', {
    id: 'kefu-input', rows: '1', maxlength: String(MAX_LEN), placeholder: '请输入您的问题…', 'aria-label': '输入消息',
    enterkeyhint: 'send', autocomplete: 'off',
  });
  const sendBtn = h('button', { type: 'submit', id: 'kefu-send' }, '发送');
  const form = h('form', { class: 'kefu-composer', novalidate: true },
    h('label', { class: 'kefu-sr', for: 'kefu-input' }, '输入消息'), input, sendBtn);

  const panel = h('div', { id: 'kefu-panel', role: 'dialog', 'aria-labelledby': 'kefu-title', tabindex: '-1', hidden: true },
    header, conn, stateBar, list, typing, rate, notice, form);
  const root = h('div', { id: 'kefu-root' }, panel, launcher);
  list.append(empty);

  // ---------- state ----------
  const byId = new Map(); // server message id → element (dedupe)
  const pending = new Map(); // client_id → element of an unacked own message
  let convo = { state: 'bot', awaiting_rating: false, agent: null, position: null };
  let panelOpen = false;
  let unread = 0;
  let ws = null;
  let helloSeen = false;
  let everConnected = false;
  let attempts = 0;
  let retryTimer = 0;
  let typingTimer = 0;
  let noticeTimer = 0;
  let openSent = false;
  let rated = false;

  let lastAgent = ''; // history carries no agent names: label older agent bubbles with the last one seen
  const agentName = () => (convo.agent && convo.agent.name) || lastAgent || '人工客服';
  const atBottom = () => list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const toBottom = () => {
    list.scrollTop = list.scrollHeight;
    stuck = true;
  };
  // Follow the newest message unless the visitor scrolled up to read; banners, the typing line
  // and the rating bar resize the list, so re-pin on resize too.
  let stuck = true;
  list.addEventListener('scroll', () => (stuck = atBottom()), { passive: true });
  if (window.ResizeObserver) new ResizeObserver(() => stuck && !panel.hidden && toBottom()).observe(list);

  const showNotice = (text) => {
    notice.textContent = text;
    notice.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => (notice.hidden = true), 6000);
  };

  // ---------- rendering ----------
  const renderChoices = (choices) =>
    h('div', { class: 'kefu-choices', role: 'group', 'aria-label': '可选问题' },
      choices.map((c) => h('button', { type: 'button', class: 'kefu-choice', 'data-choice': c.n }, h('span', {}, c.title), chevron())));

  const renderContent = (msg, bubble, withChoices) => {
    const c = msg.content && typeof msg.content === 'object' ? msg.content : { type: 'text', text: msg.text };
    const type = String(c.type || 'text');
    if (type === 'image') {
      const src = safeUrl(c.url);
      if (!src) return appendText(bubble, '[图片]');
      bubble.classList.add('kefu-media');
      const img = h('img', { class: 'kefu-img', src, alt: '图片', loading: 'lazy', decoding: 'async' });
      img.addEventListener('load', () => {
        if (stuck) toBottom();
      });
      img.addEventListener('error', () => img.replaceWith('[图片加载失败]'));
      bubble.append(h('a', { href: src, target: '_blank', rel: 'noopener noreferrer', 'aria-label': '查看图片' }, img));
      return;
    }
    if (type === 'link' || type === 'mini_program' || type === 'miniprogram') {
      const isLink = type === 'link';
      const title = String(c.title || (isLink ? '链接' : '小程序'));
      const desc = isLink ? String(c.description || '') : '请在微信中打开此小程序页面';
      const thumbSrc = safeUrl(c.thumb_url);
      const thumb = thumbSrc && h('img', { class: 'kefu-card-thumb', src: thumbSrc, alt: '', loading: 'lazy' });
      if (thumb) thumb.addEventListener('error', () => thumb.remove());
      const inner = [
        h('div', { class: 'kefu-card-title' }, title),
        h('div', { class: 'kefu-card-row' }, h('div', { class: 'kefu-card-desc' }, desc), thumb),
      ];
      const href = isLink ? safeUrl(c.url) : null;
      bubble.classList.add('kefu-cardbox');
      bubble.append(href
        ? h('a', { class: 'kefu-card', href, target: '_blank', rel: 'noopener noreferrer nofollow' }, inner)
        : h('div', { class: 'kefu-card' }, inner));
      bubble.append(h('div', { class: 'kefu-card-foot' }, isLink ? linkIcon() : appIcon(), isLink ? '链接' : '小程序'));
      return;
    }
    const text = String(c.text != null ? c.text : msg.text || '');
    if (withChoices) {
      const parsed = parseChoices(text);
      if (parsed.choices.length) {
        if (parsed.text) appendText(bubble, parsed.text);
        bubble.append(renderChoices(parsed.choices));
        return;
      }
    }
    appendText(bubble, text);
  };

  const SENDERS = ['user', 'bot', 'agent', 'system'];
  const renderMessage = (msg) => {
    const sender = SENDERS.includes(msg.sender) ? msg.sender : 'system';
    const el = h('div', { class: `kefu-msg kefu-from-${sender}`, 'data-sender': sender });
    el.dataset.ts = String(Number(msg.created_at) || Date.now());
    const text = String((msg.content && msg.content.text) != null ? msg.content.text : msg.text || '');
    const isTextual = !msg.content || !msg.content.type || msg.content.type === 'text';
    const hasChoices = (sender === 'bot' || sender === 'system') && isTextual && parseChoices(text).choices.length > 0;

    if (sender === 'system' && !hasChoices) {
      const line = h('span', { class: 'kefu-system-text' });
      renderContent(msg, line, false);
      el.append(line);
      return el;
    }
    const label =
      sender === 'user' ? '我' : sender === 'bot' ? '智能客服' : sender === 'agent' ? agentName() : '系统通知';
    if (sender === 'agent' && label === '人工客服') el.dataset.anon = '';
    const bubble = h('div', { class: 'kefu-bubble' });
    renderContent(msg, bubble, hasChoices);
    if (sender === 'user') {
      el.append(h('div', { class: 'kefu-body' }, h('span', { class: 'kefu-sr' }, '我：'), bubble));
    } else {
      const avatar = h('div', { class: 'kefu-avatar', 'aria-hidden': 'true' }, sender === 'agent' ? [...label][0] : botIcon());
      el.append(avatar, h('div', { class: 'kefu-body' }, h('div', { class: 'kefu-name' }, label), bubble));
    }
    return el;
  };

  // Server messages stay sorted by id; unacked bubbles stay at the bottom.
  const insertSorted = (el, id) => {
    let after = null;
    for (let c = list.lastElementChild; c; c = c.previousElementSibling) {
      if (c.dataset.id && Number(c.dataset.id) < id) {
        after = c;
        break;
      }
    }
    if (after) after.after(el);
    else list.prepend(el);
  };

  // Time separators, grouping of consecutive bubbles, and which menu is still live.
  const decorate = () => {
    empty.hidden = byId.size + pending.size > 0;
    let prev = null;
    let latestOther = null;
    for (const el of list.querySelectorAll(':scope > .kefu-msg')) {
      const ts = Number(el.dataset.ts) || 0;
      const prevTs = prev ? Number(prev.dataset.ts) || 0 : 0;
      if (!prev || ts - prevTs > 5 * 60 * 1000) el.dataset.time = formatTime(ts);
      else delete el.dataset.time;
      const cont = prev && !el.dataset.time && prev.dataset.sender === el.dataset.sender && el.dataset.sender !== 'system';
      el.classList.toggle('kefu-cont', Boolean(cont));
      if (el.dataset.sender !== 'user') latestOther = el;
      prev = el;
    }
    for (const el of list.querySelectorAll(':scope > .kefu-msg')) {
      el.classList.toggle('kefu-stale', el !== latestOther && Boolean(el.querySelector('.kefu-choice')));
    }
  };

  const addServerMessage = (msg, live) => {
    if (!msg || typeof msg !== 'object' || !Number.isFinite(Number(msg.id))) return false;
    const id = Number(msg.id);
    if (byId.has(id)) return false;
    // Our own message echoed before its ack: reuse the pending bubble.
    if (msg.client_id && pending.has(msg.client_id)) {
      const el = pending.get(msg.client_id);
      pending.delete(msg.client_id);
      outboxRemove(msg.client_id);
      markSent(el, id);
      return true;
    }
    const el = renderMessage(msg);
    el.dataset.id = String(id);
    byId.set(id, el);
    insertSorted(el, id);
    if (live && msg.sender !== 'user' && !panelOpen) {
      unread++;
      updateBadge();
    }
    if (msg.sender === 'agent') hideTyping();
    return true;
  };

  const markSent = (el, id) => {
    el.classList.remove('kefu-pending', 'kefu-failed');
    el.querySelectorAll('.kefu-status,.kefu-error-text').forEach((n) => n.remove());
    el.removeAttribute('aria-busy');
    if (byId.has(id)) {
      el.remove(); // the server's copy is already shown
      return;
    }
    el.dataset.id = String(id);
    byId.set(id, el);
    el.remove();
    insertSorted(el, id); // a reply may have arrived before the ack
  };

  const renderPending = (item) => {
    const el = renderMessage({ sender: 'user', text: item.text, created_at: item.at });
    el.classList.add('kefu-pending');
    el.dataset.clientId = item.client_id;
    el.setAttribute('aria-busy', 'true');
    el.prepend(h('div', { class: 'kefu-status', title: '发送中' }, h('span', { class: 'kefu-spinner' }), h('span', { class: 'kefu-sr' }, '发送中')));
    pending.set(item.client_id, el);
    list.append(el);
    return el;
  };

  const markFailed = (el, reason) => {
    el.classList.remove('kefu-pending');
    el.classList.add('kefu-failed');
    el.removeAttribute('aria-busy');
    const status = el.querySelector('.kefu-status');
    if (status) status.replaceChildren(h('button', { type: 'button', class: 'kefu-retry', 'aria-label': '发送失败，点击重新发送', title: '重新发送' }, '!'));
    if (reason && !el.querySelector('.kefu-error-text')) el.append(h('div', { class: 'kefu-error-text' }, reason));
  };

  // ---------- state banner, typing, rating ----------
  const applyState = (s) => {
    convo = {
      state: typeof s.state === 'string' ? s.state : 'bot',
      awaiting_rating: Boolean(s.awaiting_rating),
      agent: s.agent && typeof s.agent === 'object' ? s.agent : null,
      position: Number.isFinite(Number(s.position)) && s.position !== null ? Number(s.position) : null,
    };
    if (convo.agent && convo.agent.name) {
      lastAgent = String(convo.agent.name);
      // Agent bubbles that arrived before we knew who was serving get the name now.
      for (const el of list.querySelectorAll('.kefu-from-agent[data-anon]')) {
        delete el.dataset.anon;
        el.querySelector('.kefu-name').textContent = lastAgent;
        el.querySelector('.kefu-avatar').textContent = [...lastAgent][0];
      }
    }
    let banner = '';
    if (convo.state === 'queued') {
      // The server's position is 1-based (1 = next in line), so the people ahead are one fewer.
      const ahead = convo.position == null ? null : convo.position - 1;
      banner = ahead == null ? '排队中，请稍候' : ahead > 0 ? `排队中，前面还有 ${ahead} 位` : '排队中，下一位就是您';
    } else if (convo.state === 'human') {
      banner = `客服 ${agentName()} 为您服务`;
    }
    if (stateBar.textContent !== banner) stateBar.textContent = banner;
    stateBar.hidden = !banner;
    updateSubtitle();
    if (convo.state !== 'human') hideTyping();

    const wasHidden = rate.hidden;
    rate.hidden = !convo.awaiting_rating;
    if (convo.awaiting_rating && (wasHidden || rated)) {
      rated = false;
      stars.querySelectorAll('button').forEach((b) => (b.disabled = false));
      delete stars.dataset.hover;
      rateHint.textContent = '';
    }
  };

  const updateSubtitle = () => {
    let text = '智能客服在线';
    if (!helloSeen) text = everConnected ? '连接已断开' : '正在连接…';
    else if (convo.state === 'human') text = `人工客服 ${agentName()}`;
    else if (convo.state === 'queued') text = '正在为您转接人工客服';
    subtitle.textContent = text;
    subtitle.toggleAttribute('data-off', !helloSeen);
  };

  const hideTyping = () => {
    clearTimeout(typingTimer);
    typing.hidden = true;
  };
  const showTyping = () => {
    typingText.textContent = `${agentName()} 正在输入…`;
    typing.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, TYPING_TIMEOUT);
  };

  const updateBadge = () => {
    badge.textContent = unread > 99 ? '99+' : String(unread);
    badge.hidden = unread === 0;
    launcher.setAttribute('aria-label', unread ? `在线客服，${unread} 条未读消息` : '在线客服');
  };

  // ---------- connection ----------
  const setConn = (mode) => {
    if (mode === 'ok') {
      conn.hidden = true;
    } else {
      connText.textContent = mode === 'retry' ? '已断开，正在重连…' : '连接中…';
      connRetry.hidden = mode !== 'retry';
      conn.hidden = false;
    }
    updateSubtitle();
  };

  const socketReady = () => ws && ws.readyState === WebSocket.OPEN && helloSeen;
  const sendFrame = (frame) => {
    if (!socketReady()) return false;
    try {
      ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  };

  const connect = () => {
    clearTimeout(retryTimer);
    retryTimer = 0;
    if (ws) return;
    setConn(everConnected || attempts ? 'retry' : 'connecting');
    let sock;
    try {
      sock = new WebSocket(socketUrl());
    } catch {
      scheduleReconnect();
      return;
    }
    ws = sock;
    helloSeen = false;
    sock.onmessage = (e) => {
      if (ws !== sock || typeof e.data !== 'string') return;
      let frame;
      try {
        frame = JSON.parse(e.data);
      } catch {
        return;
      }
      if (frame && typeof frame === 'object') handleFrame(frame);
    };
    sock.onclose = () => {
      if (ws !== sock) return;
      ws = null;
      helloSeen = false;
      hideTyping();
      scheduleReconnect();
    };
  };

  const scheduleReconnect = () => {
    clearTimeout(retryTimer);
    const delay = Math.min(30000, 1000 * 2 ** Math.min(attempts, 5));
    attempts++;
    // Jitter so that a restarted server isn't hit by every page at the same instant.
    retryTimer = setTimeout(connect, Math.round(delay * (0.75 + Math.random() * 0.5)));
    setConn('retry');
  };

  const reconnectNow = () => {
    if (ws) return;
    attempts = Math.min(attempts, 1);
    connect();
  };

  // ---------- frames ----------
  const handleFrame = (f) => {
    switch (f.type) {
      case 'hello': {
        helloSeen = true;
        everConnected = true;
        attempts = 0;
        setConn('ok');
        applyState(f);
        const stick = stuck || byId.size === 0;
        list.setAttribute('aria-busy', 'true'); // don't read out the whole history
        for (const m of Array.isArray(f.messages) ? f.messages : []) addServerMessage(m, false);
        list.removeAttribute('aria-busy');
        flushOutbox();
        decorate();
        if (stick) toBottom();
        maybeSendOpen();
        break;
      }
      case 'message': {
        const stick = stuck || (f.message && f.message.sender === 'user');
        if (addServerMessage(f.message, true)) {
          decorate();
          if (stick) toBottom();
        }
        break;
      }
      case 'state':
        applyState(f);
        break;
      case 'typing':
        if (f.on) showTyping();
        else hideTyping();
        break;
      case 'ack': {
        if (typeof f.client_id !== 'string') break;
        outboxRemove(f.client_id);
        resendTries.delete(f.client_id);
        const el = pending.get(f.client_id);
        pending.delete(f.client_id);
        if (el && Number.isFinite(Number(f.message_id))) {
          markSent(el, Number(f.message_id));
        } else if (el) {
          el.classList.remove('kefu-pending');
          el.removeAttribute('aria-busy');
          el.querySelectorAll('.kefu-status').forEach((n) => n.remove());
        }
        decorate();
        break;
      }
      case 'error': {
        const text = typeof f.message === 'string' && f.message ? f.message : '出错了，请稍后再试';
        if (typeof f.client_id === 'string' && pending.has(f.client_id)) {
          scheduleResend(f.client_id, text);
        } else {
          showNotice(text);
        }
        break;
      }
      default:
        break; // unknown frames are ignored so the server can add new ones
    }
  };

  const flushOutbox = () => {
    const now = Date.now();
    for (const item of myOutbox()) {
      if (now - (Number(item.at) || 0) > OUTBOX_TTL) {
        outboxRemove(item.client_id);
        const stale = pending.get(item.client_id);
        if (stale) markFailed(stale, '发送超时');
        continue;
      }
      if (!pending.has(item.client_id)) renderPending(item);
      sendFrame({ type: 'message', client_id: item.client_id, text: item.text });
    }
  };

  // A nack means "not stored": the server wants the same client_id again, a little later.
  const resendTries = new Map();
  const scheduleResend = (cid, reason) => {
    const tries = (resendTries.get(cid) || 0) + 1;
    resendTries.set(cid, tries);
    if (tries > 6) {
      outboxRemove(cid);
      markFailed(pending.get(cid), reason);
      return;
    }
    if (tries === 1) showNotice(reason);
    setTimeout(() => {
      const item = myOutbox().find((m) => m.client_id === cid);
      if (item && pending.has(cid)) sendFrame({ type: 'message', client_id: cid, text: item.text });
    }, Math.min(30000, 2000 * 2 ** (tries - 1)));
  };

  const maybeSendOpen = () => {
    if (!panelOpen || openSent || !socketReady() || byId.size || pending.size) return;
    openSent = sendFrame({ type: 'open', page: location.href });
  };

  // ---------- sending ----------
  const send = (raw) => {
    const text = String(raw).replace(/\s+$/, '').replace(/^\s*\n/, '');
    if (!text.trim()) return false;
    if ([...text].length > MAX_LEN) {
      showNotice(`消息不能超过 ${MAX_LEN} 字`);
      return false;
    }
    const item = { client_id: randomId(20, ALNUM + '_-'), text, at: Date.now(), who: WHO };
    outboxAdd(item);
    renderPending(item);
    decorate();
    toBottom();
    sendFrame({ type: 'message', client_id: item.client_id, text: item.text });
    if (!ws && !retryTimer) connect();
    return true;
  };

  const resizeInput = () => {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight + 2, 128) + 'px';
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (send(input.value)) {
      input.value = '';
      resizeInput();
    }
    input.focus();
  });
  input.addEventListener('keydown', (e) => {
    // keyCode 229: an IME (e.g. pinyin) is still composing, Enter picks a candidate
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event('submit', { cancelable: true }));
    }
  });
  input.addEventListener('input', resizeInput);

  list.addEventListener('click', (e) => {
    const choice = e.target.closest('.kefu-choice');
    if (choice) {
      // A number only means something for the latest menu; older ones send the question itself.
      const msg = choice.closest('.kefu-msg');
      const stale = msg && msg.classList.contains('kefu-stale');
      send(stale ? choice.textContent.trim() : choice.dataset.choice);
      return;
    }
    const retry = e.target.closest('.kefu-retry');
    if (retry) {
      const el = retry.closest('.kefu-msg');
      const cid = el && el.dataset.clientId;
      if (!cid) return;
      const textEl = el.querySelector('.kefu-bubble');
      el.remove();
      pending.delete(cid);
      send(textEl ? textEl.textContent : '');
    }
  });

  stars.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-score]');
    if (!b || b.disabled) return;
    if (send(b.dataset.score)) {
      rated = true;
      stars.dataset.hover = b.dataset.score;
      stars.querySelectorAll('button').forEach((x) => (x.disabled = true));
      rateHint.textContent = '感谢您的评价！';
      input.focus();
    }
  });
  const hoverStar = (e) => {
    if (rated) return;
    const b = e.target.closest && e.target.closest('button[data-score]');
    if (b) {
      stars.dataset.hover = b.dataset.score;
      rateHint.textContent = RATINGS[Number(b.dataset.score) - 1];
    } else {
      delete stars.dataset.hover;
      rateHint.textContent = '';
    }
  };
  stars.addEventListener('mouseover', hoverStar);
  stars.addEventListener('focusin', hoverStar);
  stars.addEventListener('mouseleave', hoverStar);
  stars.addEventListener('focusout', (e) => {
    if (!stars.contains(e.relatedTarget)) hoverStar({ target: stars });
  });

  connRetry.addEventListener('click', reconnectNow);

  // ---------- open / close ----------
  const finePointer = window.matchMedia && window.matchMedia('(pointer: fine)').matches;
  const openPanel = (focus = true) => {
    if (panelOpen) return;
    panelOpen = true;
    panel.hidden = false;
    root.classList.add('kefu-open');
    launcher.setAttribute('aria-expanded', 'true');
    launcher.setAttribute('aria-controls', 'kefu-panel');
    unread = 0;
    updateBadge();
    save(session, K_OPEN, '1');
    save(local, K_SEEN, '1');
    if (!ws && !retryTimer) connect();
    decorate();
    toBottom();
    // On touch screens focusing the textarea would pop the keyboard over the history.
    if (focus) (finePointer ? input : panel).focus({ preventScroll: true });
    maybeSendOpen();
  };
  const closePanel = () => {
    if (!panelOpen) return;
    panelOpen = false;
    panel.hidden = true;
    root.classList.remove('kefu-open');
    launcher.setAttribute('aria-expanded', 'false');
    save(session, K_OPEN, '0');
    launcher.focus({ preventScroll: true });
  };
  launcher.addEventListener('click', () => (panelOpen ? closePanel() : openPanel()));
  closeBtn.addEventListener('click', closePanel);
  root.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && panelOpen && !e.isComposing) {
      e.preventDefault();
      closePanel();
    }
  });

  window.addEventListener('online', reconnectNow);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') reconnectNow();
  });

  // ---------- start ----------
  const mount = () => {
    document.body.append(root);
    // Messages typed before a reload and never acked: show them now, resend after hello.
    for (const item of myOutbox()) if (!pending.has(item.client_id)) renderPending(item);
    decorate();
    updateBadge();
    updateSubtitle();
    // Returning visitors connect right away (unread badge for replies); first-time visitors on first open.
    if (load(local, K_SEEN) === '1' || pending.size) connect();
    if (load(session, K_OPEN) === '1') openPanel(false);
  };
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount, { once: true });
})();
