/* global document, sessionStorage, fetch, URLSearchParams, FormData, setInterval, clearInterval */
// The vigil hub console: plain DOM, no framework. Every value from the API is written with
// textContent (never as HTML). The token lives in sessionStorage: this tab only.
const PRIORITIES = ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug'];
const $ = (id) => document.getElementById(id);
const state = { next: null, filter: new URLSearchParams(), timer: null };

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function showError(msg) {
  $('error').textContent = msg;
  $('error').hidden = !msg;
}

async function api(path, init = {}) {
  const token = sessionStorage.getItem('vigil-hub-token');
  const headers = { ...(init.headers || {}), authorization: `Bearer ${token}` };
  const res = await fetch(path, { ...init, headers });
  if (res.status === 401) {
    sessionStorage.removeItem('vigil-hub-token');
    showLogin();
    throw new Error('The token was refused.');
  }
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
  return body;
}

function showLogin() {
  $('login').hidden = false;
  $('timeline').hidden = true;
  $('playground').hidden = true;
}

function show(view) {
  for (const b of document.querySelectorAll('nav button[data-view]'))
    b.classList.toggle('active', b.dataset.view === view);
  $('timeline').hidden = view !== 'timeline';
  $('playground').hidden = view !== 'playground';
}

function alertRow(a) {
  const tr = el('tr');
  tr.dataset.uuid = a.uuid;
  tr.append(el('td', a.time.replace('T', ' ').slice(0, 23)), el('td', a.hostname));
  tr.append(el('td', a.priority, `p${PRIORITIES.indexOf(a.priority)}`), el('td', a.rule), el('td', a.output));
  tr.addEventListener('click', () => openAlert(a.uuid).catch((e) => showError(e.message)));
  return tr;
}

async function loadPage(append) {
  const q = new URLSearchParams(state.filter);
  q.set('limit', '100');
  if (append && state.next) q.set('after', state.next);
  const page = await api(`/api/alerts?${q}`);
  const body = $('alerts').querySelector('tbody');
  if (!append) body.replaceChildren();
  for (const a of page.alerts) body.append(alertRow(a));
  state.next = page.next;
  $('more').hidden = !page.next;
  showError('');
}

function drawChart(stats) {
  const svg = $('chart');
  svg.replaceChildren();
  const ns = 'http://www.w3.org/2000/svg';
  const b = stats.buckets;
  if (b.length === 0) return;
  const t0 = b[0][0];
  const t1 = b[b.length - 1][0] + stats.bucketMs;
  const max = Math.max(...b.map((x) => x[1]));
  const w = Math.max(600 / ((t1 - t0) / stats.bucketMs), 1);
  for (const [t, n] of b) {
    const r = document.createElementNS(ns, 'rect');
    const h = (n / max) * 110;
    r.setAttribute('x', String(((t - t0) / (t1 - t0)) * 600));
    r.setAttribute('y', String(120 - h));
    r.setAttribute('width', String(Math.max(w - 1, 1)));
    r.setAttribute('height', String(h));
    const title = document.createElementNS(ns, 'title');
    title.textContent = `${new Date(t).toISOString()}: ${n}`;
    r.append(title);
    svg.append(r);
  }
  const list = (id, rows, label) =>
    $(id).replaceChildren(el('li', label, 'hint'), ...rows.map((r) => el('li', `${r.count}  ${r.key}`)));
  list('top-rules', stats.rules, 'rules');
  list('top-hosts', stats.hosts, 'hosts');
}

async function refresh() {
  await loadPage(false);
  drawChart(await api(`/api/stats?${state.filter}`));
}

async function openAlert(uuid) {
  const d = await api(`/api/alerts/${encodeURIComponent(uuid)}`);
  const a = d.alert;
  $('d-rule').textContent = `${a.priority}: ${a.rule}`;
  $('d-output').textContent = a.output;
  const facts = [
    ['time', a.time],
    ['host', a.hostname],
    ['action', a.action],
    ['tags', (a.tags || []).join(', ')],
    [
      'container',
      d.container ? [d.container.id, d.container.name, d.container.image].filter(Boolean).join(' ') : 'host',
    ],
    ['pod', d.pod ? `${d.pod.namespace}/${d.pod.name}` : '-'],
    ['uuid', a.uuid],
  ];
  $('d-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', k), el('dd', v)]));
  $('d-ancestry').replaceChildren(
    ...d.ancestry.map((p) => el('li', `${p.pid}  ${p.exe || p.name}  ${p.cmdline || ''}`)),
  );
  $('d-json').textContent = JSON.stringify(a, null, 2);
  $('detail').hidden = false;
}

async function runPlayground(ev) {
  ev.preventDefault();
  const req = { rule: $('pg-rule').value, window_minutes: Number($('pg-window').value) };
  if ($('pg-source').value === 'upload') {
    const f = $('pg-file').files[0];
    if (!f) return showError('Choose a vigil record file.');
    req.events = await f.text();
  }
  $('pg-summary').textContent = 'running…';
  const r = await api('/api/playground', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(req),
  });
  $('pg-errors').replaceChildren(
    ...r.errors.map((e) => el('li', `${e.file}:${e.line}:${e.col}: ${e.message}`)),
  );
  $('pg-summary').textContent = r.ok
    ? `${r.matched} match(es) in ${r.events} events${r.truncated ? ' (stopped early: too many events or too long)' : ''}`
    : 'The rule does not load:';
  const body = $('pg-alerts').querySelector('tbody');
  body.replaceChildren(
    ...r.alerts.map((a) => {
      const tr = el('tr');
      tr.append(el('td', a.time.slice(0, 23)), el('td', a.hostname), el('td', a.rule), el('td', a.output));
      return tr;
    }),
  );
}

function start() {
  $('login').hidden = true;
  show('timeline');
  refresh().catch((e) => showError(e.message));
  clearInterval(state.timer);
  // The first page follows new alerts; an older page stays put.
  state.timer = setInterval(() => {
    if (!$('timeline').hidden && !state.paged) loadPage(false).catch(() => {});
  }, 1000);
}

document.addEventListener('DOMContentLoaded', () => {
  $('login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    sessionStorage.setItem('vigil-hub-token', $('token').value.trim());
    start();
  });
  $('logout').addEventListener('click', () => {
    sessionStorage.removeItem('vigil-hub-token');
    clearInterval(state.timer);
    showLogin();
  });
  for (const b of document.querySelectorAll('nav button[data-view]'))
    b.addEventListener('click', () => show(b.dataset.view));
  $('filters').addEventListener('submit', (ev) => {
    ev.preventDefault();
    state.filter = new URLSearchParams([...new FormData(ev.target)].filter(([, v]) => v !== ''));
    state.paged = false;
    refresh().catch((e) => showError(e.message));
  });
  $('more').addEventListener('click', () => {
    state.paged = true;
    loadPage(true).catch((e) => showError(e.message));
  });
  $('close-detail').addEventListener('click', () => ($('detail').hidden = true));
  $('pg-source').addEventListener('change', () => {
    const upload = $('pg-source').value === 'upload';
    $('pg-file').hidden = !upload;
    $('pg-window-label').hidden = upload;
  });
  $('pg-form').addEventListener('submit', (ev) => runPlayground(ev).catch((e) => showError(e.message)));
  if (sessionStorage.getItem('vigil-hub-token')) start();
  else showLogin();
});
