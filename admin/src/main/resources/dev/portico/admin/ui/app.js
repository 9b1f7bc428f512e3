// Portico dashboard: polls GET /api/v1/services and drives the admin API with a bearer token.
// No framework: the DOM is built once per service, group and host and updated in place, so that
// forms and inputs keep their focus and their text while the numbers refresh.
'use strict';

(function () {
  const API = '/api/v1/';
  const TOKEN_KEY = 'portico.admin.token';
  const POLL_MS = 1500;
  const TIMEOUT_MS = 4000;
  const SCHEDULERS = ['roundrobin', 'random', 'leastconns', 'leastconnsrr', 'weighted', 'weighted-random',
    'weighted-leastconns', 'sticky', 'maglev', 'rendezvous'];
  const COLUMNS = ['Health', 'Host', 'State', 'Weight', 'Open', 'Total', 'Failed', 'Retries', 'Rate', 'In', 'Out',
    'Last failure', ''];
  const NUMERIC = new Set(['Weight', 'Open', 'Total', 'Failed', 'Retries', 'Rate', 'In', 'Out']);
  const LISTENER_TYPES = new Set(['lb', 'web', 'dns']);
  const RECORD_COLUMNS = ['Health', 'Address', 'Checked', 'Weight', 'Override', 'Answered', 'Since', 'Why', ''];
  const FORCE = [
    { action: 'force-up', text: 'force up', forced: 'up',
      title: 'Answer this address even while its checks fail' },
    { action: 'force-down', text: 'force down', forced: 'down',
      title: 'Never answer this address, whatever its checks say' },
    { action: 'release', text: 'release', forced: null,
      title: 'Let the health checks decide again' },
  ];

  const $ = (id) => document.getElementById(id);
  const main = $('services');
  const sections = new Map();
  let pollTimer = null;
  let signedOut = false;
  let lastOk = null;
  let noticeTimer = null;

  // ---- token -------------------------------------------------------------------------------

  function tokenFromFragment() {
    const m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
    if (!m) {
      return;
    }
    const t = decodeURIComponent(m[1]).trim();
    if (t) {
      sessionStorage.setItem(TOKEN_KEY, t);
    }
    history.replaceState(null, '', location.pathname + location.search);
  }

  function token() {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  }

  // ---- API ---------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), TIMEOUT_MS);
    let res;
    try {
      const headers = { 'Authorization': 'Bearer ' + token(), 'Accept': 'application/json' };
      if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
      }
      res = await fetch(API + path, {
        method, headers, cache: 'no-store', signal: ctl.signal,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(0, 'the server does not answer');
    } finally {
      clearTimeout(timer);
    }
    let data = null;
    try {
      data = await res.json();
    } catch (e) {
      data = null;
    }
    if (!res.ok) {
      const message = data && data.error ? data.error : 'HTTP ' + res.status;
      if (res.status === 401) {
        showSignIn(token() ? 'That token was not accepted.' : '');
      }
      throw new ApiError(res.status, message);
    }
    return data;
  }

  const seg = (s) => encodeURIComponent(s);
  const hostPath = (svc, group, host) =>
    'services/' + seg(svc) + '/groups/' + seg(group) + '/hosts/' + seg(host);
  const addressPath = (svc, record, address) =>
    'services/' + seg(svc) + '/records/' + seg(record) + '/addresses/' + seg(address);

  // ---- formatting --------------------------------------------------------------------------

  const intFmt = new Intl.NumberFormat('en-US');

  function count(n) {
    return n == null ? '–' : intFmt.format(n);
  }

  function bytes(n) {
    if (n == null) {
      return '–';
    }
    if (n < 1024) {
      return n + ' B';
    }
    const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
    let v = n;
    let i = -1;
    do {
      v /= 1024;
      i++;
    } while (v >= 1024 && i < units.length - 1);
    return (v < 10 ? v.toFixed(1) : Math.round(v)) + ' ' + units[i];
  }

  function rate(r) {
    if (r == null) {
      return '–';
    }
    if (r === 0) {
      return '0/s';
    }
    return (r < 10 ? r.toFixed(1) : Math.round(r)) + '/s';
  }

  function ago(iso) {
    const t = Date.parse(iso);
    if (isNaN(t)) {
      return iso;
    }
    const s = Math.max(0, Math.round((Date.now() - t) / 1000));
    if (s < 60) {
      return s + 's ago';
    }
    if (s < 3600) {
      return Math.floor(s / 60) + 'm ago';
    }
    if (s < 86400) {
      return Math.floor(s / 3600) + 'h ago';
    }
    return new Date(t).toLocaleString();
  }

  function clock(d) {
    return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  // ---- DOM helpers -------------------------------------------------------------------------

  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v == null || v === false) {
        continue;
      }
      if (k === 'class') {
        e.className = v;
      } else if (k === 'text') {
        e.textContent = v;
      } else if (k.startsWith('on')) {
        e.addEventListener(k.slice(2), v);
      } else if (k in e && typeof v !== 'string') {
        e[k] = v;
      } else {
        e.setAttribute(k, v === true ? '' : v);
      }
    }
    for (const c of children) {
      if (c != null) {
        e.append(c);
      }
    }
    return e;
  }

  function setText(e, text) {
    if (e.textContent !== text) {
      e.textContent = text;
    }
  }

  /** Puts children in order under parent, moving only those out of place (focus survives). */
  function order(parent, children, after) {
    let prev = after || null;
    for (const c of children) {
      const want = prev ? prev.nextSibling : parent.firstChild;
      if (want !== c) {
        parent.insertBefore(c, want);
      }
      prev = c;
    }
  }

  /**
   * Runs an action: the button is busy meanwhile, an error goes to the service's message line.
   * True when it went through.
   */
  async function act(button, msgLine, fn) {
    if (button) {
      button.disabled = true;
    }
    try {
      await fn();
      if (msgLine) {
        msgLine.clear();
      }
      await poll();
      return true;
    } catch (e) {
      if (msgLine) {
        msgLine.error(e.message);
      } else {
        notice('error', e.message);
      }
      return false;
    } finally {
      if (button) {
        button.disabled = false;
      }
    }
  }

  function messageLine() {
    const text = el('p', { class: 'msg', role: 'alert' });
    const close = el('button', { type: 'button', class: 'close', 'aria-label': 'Dismiss', text: '×' });
    const root = el('div', { class: 'svc-msg', hidden: true }, text, close);
    const line = {
      root,
      error(m) {
        text.className = 'msg error';
        text.textContent = m;
        root.hidden = false;
      },
      clear() {
        root.hidden = true;
        text.textContent = '';
      },
    };
    close.addEventListener('click', () => line.clear());
    return line;
  }

  function notice(kind, text) {
    const n = $('notice');
    n.dataset.kind = kind;
    $('notice-text').textContent = text;
    n.hidden = false;
    clearTimeout(noticeTimer);
    if (kind === 'ok') {
      noticeTimer = setTimeout(() => { n.hidden = true; }, 15000);
    }
  }

  // ---- services ----------------------------------------------------------------------------

  function serviceSection(svc) {
    const msg = messageLine();
    const s = {
      name: svc.name,
      type: svc.type,
      msg,
      listeners: el('span', { class: 'listeners' }),
      chips: new Map(),
      groups: new Map(),
    };
    const head = el('div', { class: 'svc-head' },
      el('h2', { text: svc.name }),
      el('span', { class: 'type', text: svc.type }),
      el('span', { class: 'field' }, 'listening', s.listeners));
    if (LISTENER_TYPES.has(svc.type)) {
      head.append(openListenerForm(s));
    }
    s.stats = statsPanel();
    s.root = el('section', { class: 'service', 'data-service': svc.name }, head, s.stats.root);
    if (svc.type === 'proxy' || (svc.groups.length === 0 && svc.scheduler == null)) {
      s.endpoints = el('div', { class: 'endpoints' });
      s.root.append(s.endpoints);
      head.append(msg.root);
      if (svc.type === 'dns') {
        s.records = new Map();
        s.recordTable = el('table', { class: 'records', hidden: true },
          el('thead', {}, el('tr', {}, ...RECORD_COLUMNS.map((c) =>
            el('th', { class: c === 'Weight' ? 'num' : null, text: c })))));
        s.root.append(s.recordTable);
      }
      if (svc.type === 'filestore') {
        s.fs = fsPanel(s);
        s.root.append(s.fs.root);
      }
      if (svc.type === 'tunnel') {
        s.tunnel = tunnelPanel();
        s.root.append(s.tunnel.root);
      }
      if (svc.type === 'proxy') {
        s.pools = true;
        s.table = el('table', { class: 'hosts pools' }, el('thead', {}, el('tr', {},
          ...COLUMNS.map((c) => el('th', { class: NUMERIC.has(c) ? 'num' : null, text: c })))));
        s.cache = cachePanel(s);
        s.root.append(s.table, s.cache.root);
      }
      return s;
    }
    s.scheduler = el('select', { class: 'scheduler', 'aria-label': 'Scheduler' });
    s.scheduler.addEventListener('change', async () => {
      const name = s.scheduler.value;
      if (!await act(s.scheduler, msg, () => api('POST', 'services/' + seg(s.name) + '/scheduler', { scheduler: name }))) {
        s.scheduler.value = s.current;
      }
    });
    s.connections = el('b');
    s.rate = el('b');
    head.append(
      el('span', { class: 'field' }, 'scheduler', s.scheduler),
      el('span', { class: 'field' }, s.connections, 'open'),
      el('span', { class: 'field' }, s.rate, 'new connections'),
      msg.root);

    const headRow = el('tr', {}, ...COLUMNS.map((c) => el('th', { class: NUMERIC.has(c) ? 'num' : null, text: c })));
    s.table = el('table', { class: 'hosts' }, el('thead', {}, headRow));
    s.tfoot = addHostForm(s);
    s.table.append(s.tfoot);
    s.root.append(s.table);
    return s;
  }

  function openListenerForm(s) {
    const address = el('input', { class: 'address', name: 'listen-address', placeholder: 'host:port', required: true,
      spellcheck: 'false', autocomplete: 'off', 'aria-label': 'Address to listen on' });
    const open = el('button', { type: 'submit', class: 'small', text: 'Open',
      title: 'Start listening on this address too' });
    const form = el('form', { class: 'open-listener' }, address, open);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const body = { address: address.value.trim() };
      act(open, s.msg, async () => {
        await api('POST', 'services/' + seg(s.name) + '/listeners', body);
        address.value = '';
      });
    });
    return form;
  }

  /** One listener chip; with a close button (two clicks) for services whose listeners can change. */
  function listenerChip(s, address) {
    const chip = el('span', { class: 'chip', 'data-listener': address }, el('span', { text: address }));
    if (!LISTENER_TYPES.has(s.type)) {
      return chip;
    }
    const close = el('button', { type: 'button', class: 'chip-close', 'data-action': 'close-listener', text: '×',
      title: 'Close this listener (open connections stay)', 'aria-label': 'Close listener ' + address });
    let disarm = null;
    close.addEventListener('click', () => {
      if (!close.classList.contains('armed')) {
        close.classList.add('armed');
        close.textContent = 'close?';
        disarm = setTimeout(() => {
          close.classList.remove('armed');
          close.textContent = '×';
        }, 4000);
        return;
      }
      clearTimeout(disarm);
      close.classList.remove('armed');
      close.textContent = '×';
      act(close, s.msg, () => api('DELETE', 'services/' + seg(s.name) + '/listeners/' + seg(address)));
    });
    chip.append(close);
    return chip;
  }

  // ---- live numbers and history -----------------------------------------------------------

  const SVG = 'http://www.w3.org/2000/svg';
  const CHART_W = 240;
  const CHART_H = 46;

  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      e.setAttribute(k, v);
    }
    return e;
  }

  /** The strip under a service's head: its numbers, and a chart of its last minutes. */
  function statsPanel() {
    const p = { fields: el('div', { class: 'stat-fields' }) };
    p.title = svg('title');
    p.area = svg('path', { class: 'area' });
    p.line = svg('path', { class: 'rate' });
    p.errors = svg('path', { class: 'errors' });
    p.chart = svg('svg', { class: 'spark', width: String(CHART_W), height: String(CHART_H),
      viewBox: '0 0 ' + CHART_W + ' ' + CHART_H, role: 'img', 'data-points': '0' });
    p.chart.append(p.title, svg('line', { class: 'base', x1: '0', y1: String(CHART_H - 0.5), x2: String(CHART_W),
      y2: String(CHART_H - 0.5) }), p.area, p.line, p.errors);
    p.caption = el('span', { class: 'chart-caption', text: 'collecting…' });
    p.root = el('div', { class: 'svc-stats', hidden: true }, p.fields,
      el('div', { class: 'chart' }, p.chart, p.caption));
    return p;
  }

  function stat(key, value, label, cls) {
    return el('span', { class: 'stat' + (cls ? ' ' + cls : ''), 'data-stat': key }, el('b', { text: value }), label);
  }

  function ms(v) {
    return v == null ? '–' : v < 10 ? v.toFixed(1) + ' ms' : Math.round(v) + ' ms';
  }

  function percent(r) {
    return r == null ? '–' : (r >= 0.995 || r === 0 ? Math.round(r * 100) : (r * 100).toFixed(1)) + '%';
  }

  const QUIET_COUNTS = new Set(['1xx', 'FORMERR', 'NOTIMP', 'other']);

  function updateStats(s, st) {
    const p = s.stats;
    p.root.hidden = !st;
    if (!st) {
      return;
    }
    const fields = [stat('rate', rate(st.rate), ' ' + st.unit), stat('total', count(st.total), ' total')];
    for (const [k, n] of Object.entries(st.counts)) {
      if (n > 0 || !QUIET_COUNTS.has(k)) {
        const bad = n > 0 && (k === '5xx' || k === 'SERVFAIL' || k === 'REFUSED' || k === 'FORMERR');
        fields.push(stat('count-' + k, count(n), ' ' + k, bad ? 'bad' : null));
      }
    }
    if (st.unit === 'connections') {
      fields.push(stat('errors', count(st.errors), ' failed', st.errors > 0 ? 'bad' : null));
    }
    if (st.bytes != null) {
      fields.push(stat('bytes', bytes(st.bytes), ' ' + (s.type === 'web' ? 'sent' : 'in+out')
        + (st.bytes_rate ? ' · ' + bytes(st.bytes_rate) + '/s' : '')));
    }
    if (st.p99_ms != null || st.unit === 'requests') {
      fields.push(stat('p99', ms(st.p99_ms), ' p99'));
    }
    if (st.cache_hits != null) {
      fields.push(stat('cache', percent(st.cache_ratio), ' ' + (s.type === 'dns' ? 'answer' : 'memory')
        + ' cache hits (' + count(st.cache_hits) + ')'));
    }
    p.fields.replaceChildren(...fields);
    if (st.sampled_at && st.sampled_at !== p.sampledAt && !p.loading) {
      p.loading = true;
      api('GET', 'services/' + seg(s.name) + '/history')
        .then((h) => {
          p.sampledAt = st.sampled_at;
          drawHistory(p, h);
        })
        .catch(() => { /* the next sample tries again */ })
        .finally(() => { p.loading = false; });
    }
  }

  /** Draws rate and errors per second over the history's window (the newest point at the right edge). */
  function drawHistory(p, h) {
    const points = h.points || [];
    p.chart.setAttribute('data-points', String(points.length));
    const end = points.length ? Date.parse(points[points.length - 1].time) : 0;
    // The axis spans the time the points cover (at least two minutes, at most the whole window),
    // so that a young history is not squeezed against the right edge.
    const covered = points.length ? end - Date.parse(points[0].time) + h.interval * 1000 : 0;
    const span = Math.min(h.window * 1000, Math.max(120000, covered));
    let peak = 0;
    let errPeak = 0;
    for (const pt of points) {
      peak = Math.max(peak, pt.rate);
      errPeak = Math.max(errPeak, pt.errors);
    }
    const top = Math.max(peak, errPeak) || 1;
    const x = (pt) => (CHART_W - (end - Date.parse(pt.time)) / span * CHART_W).toFixed(1);
    const y = (v) => (CHART_H - 1 - v / top * (CHART_H - 4)).toFixed(1);
    const path = (key) => points.map((pt, i) => (i ? 'L' : 'M') + x(pt) + ' ' + y(pt[key])).join(' ');
    const line = path('rate');
    p.line.setAttribute('d', line);
    p.errors.setAttribute('d', errPeak > 0 ? path('errors') : '');
    p.area.setAttribute('d', points.length
      ? line + ' L' + x(points[points.length - 1]) + ' ' + CHART_H + ' L' + x(points[0]) + ' ' + CHART_H + ' Z' : '');
    const now = points.length ? points[points.length - 1] : null;
    p.title.textContent = 'Last ' + Math.round(span / 60000) + ' minutes, one point every ' + h.interval + ' s: '
      + h.unit + ' per second (peak ' + rate(peak) + ')' + (errPeak ? ', errors (peak ' + rate(errPeak) + ')' : '');
    p.caption.replaceChildren(el('span', { text: 'last ' + Math.round(span / 60000) + ' min' }),
      el('span', { class: 'peak', text: 'peak ' + rate(peak) }),
      errPeak ? el('span', { class: 'bad', text: 'errors ' + rate(errPeak) }) : '',
      now ? '' : el('span', { text: 'collecting…' }));
  }

  // ---- proxy caches ------------------------------------------------------------------------

  /** The cache block of a proxy service: tiers, counters, bans, and a purge / ban form. */
  function cachePanel(s) {
    const c = { stats: el('div', { class: 'cache-stats' }), bans: el('div', { class: 'cache-bans' }) };
    const target = el('input', { class: 'target', name: 'target', placeholder: 'full URL, with host, path and query',
      spellcheck: 'false', autocomplete: 'off', required: true });
    const mode = el('select', { name: 'mode', 'aria-label': 'What to remove' },
      el('option', { value: 'key', text: 'this URL' }),
      el('option', { value: 'prefix', text: 'URLs starting with' }),
      el('option', { value: 'ban', text: 'ban URLs starting with' }));
    const go = el('button', { type: 'submit', text: 'Purge' });
    mode.addEventListener('change', () => setText(go, mode.value === 'ban' ? 'Ban' : 'Purge'));
    const form = el('form', { class: 'purge' }, el('span', { text: 'Remove from the cache:' }), mode, target, go);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const value = target.value.trim();
      const how = mode.value;
      act(go, s.msg, async () => {
        const base = 'services/' + seg(s.name) + '/cache/';
        if (how === 'ban') {
          const r = await api('POST', base + 'ban', { prefix: value });
          notice('ok', 'Banned ' + r.ban.replace(/^prefix:/, '') + '… in ' + s.name
            + ': stored copies are misses from now on.');
        } else {
          const r = await api('POST', base + 'purge', how === 'key' ? { key: value } : { prefix: value });
          notice('ok', 'Purged ' + r.removed + (r.removed === 1 ? ' URL' : ' URLs') + ' from ' + s.name + '.');
        }
        target.value = '';
      });
    });
    c.root = el('div', { class: 'cache', hidden: true }, c.stats, c.bans, form);
    return c;
  }

  async function updateCache(s) {
    let v;
    try {
      v = await api('GET', 'services/' + seg(s.name) + '/cache');
    } catch (e) {
      s.cache.root.hidden = true;
      return;
    }
    const tier = (name, t) => t == null ? [] : [el('span', { class: 'field', 'data-tier': name }, name,
      el('b', { text: count(t.entries) }), 'entries',
      el('b', { text: bytes(t.bytes) }), 'of ' + bytes(t.limit))];
    const lookups = v.hits + v.misses + v.stale + v.revalidated;
    const ratio = lookups ? Math.round(100 * (v.hits + v.stale + v.revalidated) / lookups) + '%' : '–';
    s.cache.stats.replaceChildren(el('span', { class: 'label', text: 'cache' }),
      ...tier('memory', v.memory), ...tier('disk', v.disk),
      el('span', { class: 'field', 'data-counter': 'hits' }, el('b', { text: count(v.hits) }), 'hits'),
      el('span', { class: 'field', 'data-counter': 'misses' }, el('b', { text: count(v.misses) }), 'misses'),
      el('span', { class: 'field' }, el('b', { text: count(v.stale) }), 'stale'),
      el('span', { class: 'field' }, el('b', { text: count(v.revalidated) }), 'revalidated'),
      el('span', { class: 'field' }, el('b', { text: count(v.bypass) }), 'bypass'),
      el('span', { class: 'field' }, 'served from cache', el('b', { text: ratio })));
    s.cache.bans.replaceChildren(...(v.bans.length
      ? [el('span', { class: 'label', text: 'bans' }), ...v.bans.map((b) => el('span', { class: 'chip', text: b }))]
      : []));
    s.cache.root.hidden = false;
  }

  // ---- file stores -------------------------------------------------------------------------

  const FS_COLUMNS = ['Health', 'Node', 'Latency', 'Open', 'Connections', 'Failed', 'Bytes in', 'Bytes out', 'Last failure'];
  const FS_NUMERIC = new Set(['Latency', 'Open', 'Connections', 'Failed', 'Bytes in', 'Bytes out']);

  /**
   * The block of a file store: reads and writes, its nodes' health, latency and traffic, then the
   * handoff journal, the last check and the repair, with a button that starts one.
   */
  function fsPanel(s) {
    const f = { stats: el('div', { class: 'cache-stats fs-stats' }), ops: el('div', { class: 'cache-stats fs-ops' }) };
    f.body = el('tbody');
    f.table = el('table', { class: 'hosts fs-nodes' }, el('thead', {}, el('tr', {},
      ...FS_COLUMNS.map((c) => el('th', { class: FS_NUMERIC.has(c) ? 'num' : null, text: c })))), f.body);
    f.repair = el('button', { type: 'button', class: 'small', 'data-action': 'repair', text: 'Repair',
      title: 'start fs repair in the background (50 actions/s); an unfinished plan is continued' });
    f.repair.addEventListener('click', () => act(f.repair, s.msg, async () => {
      await api('POST', 'services/' + seg(s.name) + '/fs/repair');
      notice('ok', 'Repair of ' + s.name + ' started.');
    }));
    f.root = el('div', { class: 'cache fs', hidden: true }, f.stats, f.table, f.ops);
    return f;
  }

  /** The handoff journal, the last check and the repair of a file store view, as fields. */
  function fsOps(v, field, repairButton) {
    const h = v.handoff || { journal: 0, pending: 0 };
    const out = [el('span', { class: 'label', text: 'operations' }),
      field('journal', count(h.journal), 'handoff journal records'),
      field('pending', count(h.pending), 'replays pending')];
    if (h.problem) {
      out.push(el('span', { class: 'field error', 'data-counter': 'journal-problem', text: 'journal: ' + h.problem }));
    }
    const c = v.last_check;
    if (c) {
      const found = Object.keys(c.counts).sort().map((k) => count(c.counts[k]) + ' ' + k).join(', ');
      out.push(field('check', c.clean ? 'clean' : found, 'last check ' + ago(c.finished)
        + ' (' + count(c.files) + ' files, ' + count(c.copies) + ' copies)'));
    } else {
      out.push(field('check', 'none', 'last check'));
    }
    const r = v.repair;
    if (r && r.started) {
      out.push(field('repair', r.done + '/' + r.total, 'repair ' + (r.running ? 'running' : r.finished ? 'finished'
        : 'stopped') + ' (' + r.repaired + ' repaired, ' + r.skipped + ' skipped, ' + r.failed + ' failed)'));
    } else {
      out.push(field('repair', r && r.running ? 'checking' : 'none', 'repair'));
    }
    repairButton.disabled = !!(r && r.running);
    out.push(repairButton);
    return out;
  }

  async function updateFs(s) {
    let v;
    try {
      v = await api('GET', 'services/' + seg(s.name) + '/fs');
    } catch (e) {
      s.fs.root.hidden = true;
      return;
    }
    const rate = (r) => (Math.round(r * 10) / 10) + '/s';
    const field = (name, value, text) => el('span', { class: 'field', 'data-counter': name }, el('b', { text: value }), text);
    s.fs.stats.replaceChildren(el('span', { class: 'label', text: 'file store' }),
      field('reads', rate(v.read_rate), 'reads (' + count(v.reads) + ')'),
      field('writes', rate(v.write_rate), 'writes (' + count(v.writes) + ')'),
      field('degraded', count(v.writes_degraded), 'degraded writes'),
      field('failed', count(v.writes_failed), 'failed writes'),
      field('missing', count(v.missing_copies), 'missing copies found by reads'));
    s.fs.ops.replaceChildren(...fsOps(v, field, s.fs.repair));
    s.fs.body.replaceChildren(...v.nodes.map((n) => el('tr', { class: 'host health-' + n.health, 'data-node': n.name },
      el('td', {}, el('span', { class: 'health', title: n.health_reason || '' }, el('span', { class: 'dot' }),
        el('span', { class: 'htext', text: n.health }))),
      el('td', { class: 'host-name mono', text: n.name }),
      el('td', { class: 'num', text: n.latency_ms == null ? '–' : n.latency_ms.toFixed(1) + ' ms' }),
      el('td', { class: 'num', text: count(n.open) }),
      el('td', { class: 'num', text: count(n.total) }),
      el('td', { class: 'num', text: count(n.failed) }),
      el('td', { class: 'num', text: bytes(n.bytes_in) }),
      el('td', { class: 'num', text: bytes(n.bytes_out) }),
      el('td', { class: 'dim', text: n.last_failure ? n.last_failure.reason : '' }))));
    s.fs.root.hidden = false;
  }

  const TUNNEL_COLUMNS = ['State', 'Session', 'Peer', 'Device', 'RTT', 'Cwnd', 'Lost', 'In', 'Out', 'Connects',
    'Route metrics', ''];
  const TUNNEL_NUMERIC = new Set(['RTT', 'Cwnd', 'Lost', 'In', 'Out', 'Connects']);

  /** The block of a tunnel service: its sessions with their peers, round trips, traffic and route metrics. */
  function tunnelPanel() {
    const t = { body: el('tbody') };
    t.table = el('table', { class: 'hosts tunnel-sessions' }, el('thead', {}, el('tr', {},
      ...TUNNEL_COLUMNS.map((c) => el('th', { class: TUNNEL_NUMERIC.has(c) ? 'num' : null, text: c })))), t.body);
    t.root = el('div', { class: 'cache tunnel', hidden: true }, t.table);
    return t;
  }

  async function updateTunnel(s) {
    let v;
    try {
      v = await api('GET', 'services/' + seg(s.name) + '/tunnel');
    } catch (e) {
      s.tunnel.root.hidden = true;
      return;
    }
    const rate = (r) => bytes(Math.round(r)) + '/s';
    s.tunnel.body.replaceChildren(...v.sessions.map((x) => {
      const reconnect = el('button', { type: 'button', class: 'reconnect', text: 'Reconnect',
        disabled: x.state !== 'up' ? true : null });
      reconnect.addEventListener('click', () => act(reconnect, s.msg,
        () => api('POST', 'services/' + seg(s.name) + '/tunnel/' + seg(x.name) + '/reconnect')));
      const metrics = Object.keys(x.route_metrics).sort().map((r) => r + ' ' + x.route_metrics[r]
        + (x.best_routes.includes(r) ? ' (best)' : '')).join(', ');
      return el('tr', { class: 'host health-' + (x.state === 'up' ? 'up' : 'down'), 'data-session': x.name },
        el('td', {}, el('span', { class: 'health' }, el('span', { class: 'dot' }),
          el('span', { class: 'htext', text: x.state }))),
        el('td', { class: 'host-name mono', text: x.name + ' (' + x.side + ', ' + x.transport + ')' }),
        el('td', { class: 'mono', text: x.peer || '–' }),
        el('td', { class: 'mono', text: x.device || (x.relay_to ? 'relay to ' + x.relay_to : '–') }),
        el('td', { class: 'num', text: x.rtt_ms == null ? '–' : x.rtt_ms.toFixed(1) + ' ms' }),
        el('td', { class: 'num', text: x.cwnd_bytes == null ? '–' : bytes(x.cwnd_bytes) }),
        el('td', { class: 'num', text: x.lost_packets == null ? '–' : count(x.lost_packets) }),
        el('td', { class: 'num', text: bytes(x.bytes_in) + ' · ' + rate(x.in_rate) }),
        el('td', { class: 'num', text: bytes(x.bytes_out) + ' · ' + rate(x.out_rate) }),
        el('td', { class: 'num', text: count(x.connects) }),
        el('td', { class: 'dim', text: metrics }),
        el('td', {}, reconnect));
    }));
    s.tunnel.root.hidden = false;
  }

  function addHostForm(s) {
    s.addGroup = el('select', { name: 'group', 'aria-label': 'Group' });
    const address = el('input', { class: 'address', name: 'address', placeholder: 'host:port', required: true,
      spellcheck: 'false', autocomplete: 'off' });
    const weight = el('input', { class: 'weight', name: 'weight', type: 'number', min: '1', max: '65535', value: '1' });
    const add = el('button', { type: 'submit', text: 'Add host' });
    const form = el('form', { class: 'add-host' },
      el('span', { text: 'Add a host:' }),
      el('label', {}, 'group', s.addGroup),
      el('label', {}, 'address', address),
      el('label', {}, 'weight', weight),
      add);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const group = s.addGroup.value;
      const body = { address: address.value.trim(), weight: Number(weight.value || 1) };
      act(add, s.msg, async () => {
        await api('POST', 'services/' + seg(s.name) + '/groups/' + seg(group) + '/hosts', body);
        address.value = '';
        weight.value = '1';
      });
    });
    return el('tfoot', {}, el('tr', {}, el('td', { colspan: String(COLUMNS.length) }, form)));
  }

  function updateService(s, svc) {
    updateStats(s, svc.stats);
    const chips = [];
    for (const l of svc.listeners) {
      let chip = s.chips.get(l);
      if (!chip) {
        chip = listenerChip(s, l);
        s.chips.set(l, chip);
      }
      chips.push(chip);
    }
    for (const [l, chip] of s.chips) {
      if (!svc.listeners.includes(l)) {
        chip.remove();
        s.chips.delete(l);
      }
    }
    if (chips.length === 0) {
      s.listeners.replaceChildren(el('span', { class: 'chip none', text: 'none' }));
    } else {
      s.listeners.querySelectorAll('.chip.none').forEach((n) => n.remove());
      order(s.listeners, chips);
    }
    if (s.endpoints) {
      s.endpoints.replaceChildren(...svc.endpoints.map((e) => /^https?:\/\//.test(e)
        ? el('a', { href: e, target: '_blank', rel: 'noopener noreferrer', class: 'mono', text: e })
        : el('span', { class: 'mono', text: e })));
      if (s.recordTable && svc.records) {
        updateRecords(s, svc.records);
      }
      if (s.cache) {
        updateCache(s);
      }
      if (s.tunnel) {
        updateTunnel(s);
      }
      if (s.fs) {
        updateFs(s);
      }
      if (s.table) {
        updateGroups(s, svc);
      }
      return;
    }
    if (document.activeElement !== s.scheduler) {
      const names = SCHEDULERS.includes(svc.scheduler) || svc.scheduler == null
        ? SCHEDULERS : [svc.scheduler, ...SCHEDULERS];
      if (s.scheduler.options.length !== names.length || [...s.scheduler.options].some((o, i) => o.value !== names[i])) {
        s.scheduler.replaceChildren(...names.map((n) => el('option', { value: n, text: n })));
      }
      s.scheduler.value = svc.scheduler || '';
      s.current = s.scheduler.value;
    }
    setText(s.connections, count(svc.connections));
    const totalRate = svc.groups.reduce((a, g) => a + g.hosts.reduce((b, h) => b + (h.rate || 0), 0), 0);
    setText(s.rate, rate(totalRate));
    updateGroups(s, svc);
    if (document.activeElement !== s.addGroup) {
      const names = svc.groups.map((g) => g.name);
      if ([...s.addGroup.options].map((o) => o.value).join('\n') !== names.join('\n')) {
        const keep = s.addGroup.value;
        s.addGroup.replaceChildren(...names.map((n) => el('option', { value: n, text: n })));
        s.addGroup.value = names.includes(keep) ? keep : (svc.active_group || names[0] || '');
      }
    }
  }

  /** The service's groups (a proxy's pools) and their hosts, in the table. */
  function updateGroups(s, svc) {
    const seen = new Set();
    const bodies = [];
    for (const g of svc.groups) {
      seen.add(g.name);
      let gs = s.groups.get(g.name);
      if (!gs) {
        gs = groupBody(s, g);
        s.groups.set(g.name, gs);
      }
      updateGroup(s, gs, g);
      bodies.push(gs.root);
    }
    for (const [name, gs] of s.groups) {
      if (!seen.has(name)) {
        gs.root.remove();
        s.groups.delete(name);
      }
    }
    order(s.table, bodies, s.table.tHead);
  }

  function groupBody(s, g) {
    const gs = { name: g.name, hosts: new Map() };
    gs.info = el('span', { class: 'ginfo' });
    const head = el('th', { colspan: String(COLUMNS.length) });
    if (s.pools) {
      // A proxy's pool: picked by the request's Host, so there is no active one to switch to.
      head.append(el('span', { class: 'gname', text: g.name === '*' ? 'pool * (any other Host)' : 'pool ' + g.name }),
        gs.info);
    } else {
      gs.badge = el('span', { class: 'badge' });
      gs.activate = el('button', { type: 'button', class: 'small', 'data-action': 'activate', text: 'Make active',
        title: 'Send new connections to this group; open ones stay where they are' });
      gs.activate.addEventListener('click', () => act(gs.activate, s.msg,
        () => api('POST', 'services/' + seg(s.name) + '/active-group', { group: g.name })));
      head.append(el('span', { class: 'gname', text: 'group ' + g.name }), gs.badge, gs.info, gs.activate);
    }
    gs.header = el('tr', { class: 'group-row' }, head);
    gs.none = el('tr', { class: 'none' }, el('td', { colspan: String(COLUMNS.length), text: 'no hosts' }));
    gs.root = el('tbody', { 'data-group': g.name }, gs.header);
    return gs;
  }

  function updateGroup(s, gs, g) {
    gs.root.dataset.active = String(g.active);
    if (gs.badge) {
      gs.badge.className = 'badge ' + (g.active ? 'active' : 'standby');
      setText(gs.badge, g.active ? 'active' : 'standby');
      gs.activate.hidden = g.active;
    }
    const up = g.hosts.filter((h) => h.health === 'up').length;
    const down = g.hosts.filter((h) => h.health === 'down').length;
    setText(gs.info, g.hosts.length + (g.hosts.length === 1 ? ' host' : ' hosts')
      + (g.hosts.length ? ' · ' + up + ' up' + (down ? ' · ' + down + ' down' : '') : ''));

    const seen = new Set();
    const rows = [];
    for (const h of g.hosts) {
      seen.add(h.name);
      let hs = gs.hosts.get(h.name);
      if (!hs) {
        hs = hostRow(s, gs, h);
        gs.hosts.set(h.name, hs);
      }
      updateHost(hs, h);
      rows.push(hs.root);
    }
    for (const [name, hs] of gs.hosts) {
      if (!seen.has(name)) {
        hs.root.remove();
        gs.hosts.delete(name);
      }
    }
    if (rows.length === 0) {
      rows.push(gs.none);
    } else {
      gs.none.remove();
    }
    order(gs.root, rows, gs.header);
  }

  function hostRow(s, gs, h) {
    const hs = { name: h.name, cells: {} };
    const c = hs.cells;
    const path = () => hostPath(s.name, gs.name, h.name);
    c.health = el('span', { class: 'health' }, el('span', { class: 'dot' }), el('span', { class: 'htext' }));
    c.state = el('span', { class: 'state' });
    c.weight = el('input', { class: 'weight', type: 'number', min: '1', max: '65535', 'aria-label': 'Weight of ' + h.name });
    c.weight.addEventListener('change', async () => {
      if (c.weight.value.trim() === '') {
        c.weight.value = String(hs.weight);
        return;
      }
      const w = Number(c.weight.value);
      if (!await act(c.weight, s.msg, () => api('POST', path() + '/weight', { weight: w }))) {
        c.weight.value = String(hs.weight);
      }
    });
    c.weight.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') {
        c.weight.value = String(hs.weight);
        c.weight.blur();
      }
    });
    for (const k of ['open', 'total', 'failed', 'retries', 'rate', 'in', 'out']) {
      c[k] = el('td', { class: 'num' + (k === 'failed' || k === 'retries' || k === 'in' || k === 'out' ? ' dim' : '') });
    }
    c.failure = el('td', { class: 'failure' });
    hs.buttons = {};
    const segButtons = ['enable', 'disable', 'drain'].map((a) => {
      const b = el('button', { type: 'button', class: 'small', 'data-action': a, text: a });
      b.addEventListener('click', () => act(b, s.msg, () => api('POST', path() + '/' + a)));
      hs.buttons[a] = b;
      return b;
    });
    const remove = el('button', { type: 'button', class: 'small danger', 'data-action': 'remove', text: 'remove',
      title: 'Remove this host (its open connections finish)' });
    let disarm = null;
    remove.addEventListener('click', () => {
      if (!remove.classList.contains('armed')) {
        remove.classList.add('armed');
        remove.textContent = 'confirm remove';
        disarm = setTimeout(() => {
          remove.classList.remove('armed');
          remove.textContent = 'remove';
        }, 4000);
        return;
      }
      clearTimeout(disarm);
      remove.classList.remove('armed');
      remove.textContent = 'remove';
      act(remove, s.msg, () => api('DELETE', path()));
    });
    hs.buttons.remove = remove;
    const actions = s.pools
      ? el('td', { class: 'actions' }, el('span', { class: 'seg' }, ...segButtons))
      : el('td', { class: 'actions' }, el('span', { class: 'seg' }, ...segButtons), remove);
    hs.root = el('tr', { class: 'host', 'data-host': h.name },
      el('td', {}, c.health),
      el('td', { class: 'host-name', text: h.address }),
      el('td', {}, c.state),
      el('td', { class: 'num' }, c.weight),
      c.open, c.total, c.failed, c.retries, c.rate, c['in'], c.out,
      c.failure,
      actions);
    return hs;
  }

  function updateHost(hs, h) {
    const r = hs.root;
    const c = hs.cells;
    const cls = 'host health-' + h.health + ' admin-' + h.admin;
    if (r.className !== cls) {
      r.className = cls;
    }
    r.dataset.health = h.health;
    r.dataset.admin = h.admin;
    setText(c.health.lastChild, h.health);
    c.health.title = h.health_reason || '';
    setText(c.state, h.admin);
    hs.weight = h.weight;
    if (document.activeElement !== c.weight) {
      c.weight.value = String(h.weight);
    }
    setText(c.open, count(h.open));
    setText(c.total, count(h.total));
    setText(c.failed, count(h.failed));
    setText(c.retries, count(h.retries || 0));
    setText(c.rate, rate(h.rate));
    setText(c['in'], bytes(h.bytes_in));
    setText(c.out, bytes(h.bytes_out));
    if (h.last_failure) {
      c.failure.className = 'failure';
      c.failure.title = h.last_failure.reason + ' at ' + new Date(h.last_failure.time).toLocaleString();
      c.failure.replaceChildren(el('span', { class: 'when', text: ago(h.last_failure.time) }),
        el('span', { class: 'reason', text: h.last_failure.reason }));
    } else if (h.health === 'down' && h.health_reason) {
      c.failure.className = 'failure';
      c.failure.title = h.health_reason;
      c.failure.replaceChildren(el('span', { class: 'reason', text: h.health_reason }));
    } else {
      c.failure.className = 'failure none';
      c.failure.title = '';
      setText(c.failure, '–');
    }
    const admin = { enable: 'enabled', disable: 'disabled', drain: 'draining' };
    for (const [a, state] of Object.entries(admin)) {
      hs.buttons[a].setAttribute('aria-pressed', String(h.admin === state));
    }
  }

  // ---- dynamic DNS records -----------------------------------------------------------------

  function updateRecords(s, records) {
    s.recordTable.hidden = records.length === 0;
    const seen = new Set();
    const bodies = [];
    for (const r of records) {
      seen.add(r.name);
      let rs = s.records.get(r.name);
      if (!rs) {
        rs = recordBody(r);
        s.records.set(r.name, rs);
      }
      updateRecord(s, rs, r);
      bodies.push(rs.root);
    }
    for (const [name, rs] of s.records) {
      if (!seen.has(name)) {
        rs.root.remove();
        s.records.delete(name);
      }
    }
    order(s.recordTable, bodies, s.recordTable.tHead);
  }

  function recordBody(r) {
    const rs = { name: r.name, rows: new Map() };
    rs.info = el('span', { class: 'ginfo' });
    rs.chain = el('span', { class: 'badge standby' });
    rs.header = el('tr', { class: 'group-row' },
      el('th', { colspan: String(RECORD_COLUMNS.length) },
        el('span', { class: 'gname mono', text: r.name }), rs.chain, rs.info));
    rs.root = el('tbody', { 'data-record': r.name }, rs.header);
    return rs;
  }

  function updateRecord(s, rs, r) {
    rs.chain.hidden = r.level === 0;
    setText(rs.chain, r.level === 0 ? '' : 'fallback ' + r.level + ' of ' + r.fallback_of);
    const answered = r.addresses.filter((a) => a.answered).length;
    setText(rs.info, 'TTL ' + r.ttl_max + '/' + r.ttl_min + ' · ' + answered + ' of ' + r.addresses.length
      + ' answered · check ' + r.check
      + (r.last_resort.length ? ' · last resort ' + r.last_resort.join(', ') : ''));
    const seen = new Set();
    const rows = [];
    for (const a of r.addresses) {
      seen.add(a.address);
      let as = rs.rows.get(a.address);
      if (!as) {
        as = addressRow(s, rs, a);
        rs.rows.set(a.address, as);
      }
      updateAddress(as, a);
      rows.push(as.root);
    }
    for (const [name, as] of rs.rows) {
      if (!seen.has(name)) {
        as.root.remove();
        rs.rows.delete(name);
      }
    }
    order(rs.root, rows, rs.header);
  }

  function addressRow(s, rs, a) {
    const as = { cells: {}, buttons: {} };
    const c = as.cells;
    c.health = el('span', { class: 'health' }, el('span', { class: 'dot' }), el('span', { class: 'htext' }));
    c.checked = el('td', { class: 'mono dim' });
    c.weight = el('td', { class: 'num' });
    c.forced = el('span', { class: 'state' });
    c.answered = el('td');
    c.since = el('td', { class: 'dim' });
    c.reason = el('td', { class: 'failure' });
    const buttons = FORCE.map((f) => {
      const b = el('button', { type: 'button', class: 'small', 'data-action': f.action, text: f.text, title: f.title });
      b.addEventListener('click', () => act(b, s.msg,
        () => api('POST', addressPath(s.name, rs.name, a.address) + '/' + f.action)));
      as.buttons[f.action] = b;
      return b;
    });
    as.root = el('tr', { class: 'host record-address', 'data-address': a.address },
      el('td', {}, c.health),
      el('td', { class: 'host-name', text: a.address }),
      c.checked, c.weight,
      el('td', {}, c.forced),
      c.answered, c.since, c.reason,
      el('td', { class: 'actions' }, el('span', { class: 'seg' }, ...buttons)));
    return as;
  }

  function updateAddress(as, a) {
    const r = as.root;
    const c = as.cells;
    const forced = a.forced || 'none';
    const cls = 'host record-address health-' + a.health + ' forced-' + forced + (a.answered ? '' : ' unanswered');
    if (r.className !== cls) {
      r.className = cls;
    }
    r.dataset.health = a.health;
    r.dataset.forced = forced;
    r.dataset.answered = String(a.answered);
    setText(c.health.lastChild, a.health);
    c.health.title = a.health_reason || '';
    setText(c.checked, a.checked);
    setText(c.weight, String(a.weight));
    setText(c.forced, a.forced ? 'forced ' + a.forced : 'checks');
    setText(c.answered, a.answered ? 'yes' : 'no');
    setText(c.since, a.health_since ? ago(a.health_since) : '–');
    c.since.title = a.health_since ? new Date(a.health_since).toLocaleString() : '';
    setText(c.reason, a.health_reason || '–');
    c.reason.title = a.health_reason || '';
    for (const f of FORCE) {
      as.buttons[f.action].setAttribute('aria-pressed', String((a.forced || null) === f.forced));
    }
  }

  function render(services) {
    const seen = new Set();
    const roots = [];
    for (const svc of services) {
      seen.add(svc.name);
      let s = sections.get(svc.name);
      const kind = svc.type === 'proxy' ? 'proxy' : svc.groups.length === 0 && svc.scheduler == null ? 'plain' : 'balanced';
      if (s && s.kind !== kind) {
        s.root.remove();
        s = null;
      }
      if (!s) {
        s = serviceSection(svc);
        s.kind = kind;
        sections.set(svc.name, s);
      }
      updateService(s, svc);
      roots.push(s.root);
    }
    for (const [name, s] of sections) {
      if (!seen.has(name)) {
        s.root.remove();
        sections.delete(name);
      }
    }
    order(main, roots);
    $('empty').hidden = services.length > 0;
    summary(services);
  }

  function summary(services) {
    let hosts = 0;
    let up = 0;
    let down = 0;
    for (const svc of services) {
      for (const g of svc.groups) {
        for (const h of g.hosts) {
          hosts++;
          if (h.health === 'up') {
            up++;
          } else if (h.health === 'down') {
            down++;
          }
        }
      }
    }
    const parts = [el('b', { text: String(services.length) }), services.length === 1 ? ' service · ' : ' services · ',
      el('b', { text: String(hosts) }), hosts === 1 ? ' host · ' : ' hosts · ', up + ' up'];
    if (down) {
      parts.push(' · ', el('span', { class: 'bad', text: down + ' down' }));
    }
    $('summary').replaceChildren(...parts);
    document.title = (down ? down + ' down · ' : '') + 'Portico · ' + location.host;
  }

  // ---- certificates (tls.acme) -------------------------------------------------------------

  const certRows = new Map();

  /** A row per managed name: expiry, serial, renewals and the last error, with a Renew button. */
  function certificateRow(c) {
    const r = {
      expires: el('td'),
      serial: el('td', { class: 'mono' }),
      renewed: el('td'),
      next: el('td'),
      error: el('td', { class: 'bad' }),
      renew: el('button', { type: 'button', text: 'Renew',
        title: 'Order a new certificate now; the current one serves until the new one is stored' }),
    };
    r.renew.addEventListener('click', () => act(r.renew, null, async () => {
      await api('POST', 'tls/' + seg(c.name) + '/renew');
      notice('ok', 'Renewing ' + c.name + '; the current certificate serves until the new one is stored.');
    }));
    r.root = el('tr', { 'data-name': c.name }, el('td', { text: c.name }), el('td', { text: c.service }),
      r.expires, r.serial, r.renewed, r.next, r.error, el('td', {}, r.renew));
    return r;
  }

  function renderCertificates(list) {
    const box = $('certificates');
    if (list == null) {
      setText($('certificates-msg'), certRows.size ? 'cannot read the certificates' : '');
      return;
    }
    setText($('certificates-msg'), '');
    const seen = new Set();
    const rows = [];
    for (const c of list) {
      const key = c.service + '\u0000' + c.name;
      seen.add(key);
      let r = certRows.get(key);
      if (!r) {
        r = certificateRow(c);
        certRows.set(key, r);
      }
      setText(r.expires, c.not_after ? c.not_after.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : 'none yet');
      setText(r.serial, c.serial || '');
      setText(r.renewed, c.last_renewal ? ago(c.last_renewal) : '');
      setText(r.next, c.renewing ? 'renewing now' : (c.next_attempt ? c.next_attempt.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : ''));
      setText(r.error, c.last_error ? c.last_error + (c.last_error_at ? ' (' + ago(c.last_error_at) + ')' : '') : '');
      r.renew.disabled = !!c.renewing;
      rows.push(r.root);
    }
    for (const [key, r] of certRows) {
      if (!seen.has(key)) {
        r.root.remove();
        certRows.delete(key);
      }
    }
    order($('certificates-rows'), rows);
    box.hidden = rows.length === 0;
  }

  // ---- polling and status ------------------------------------------------------------------

  function status(state, text) {
    $('status').dataset.state = state;
    setText($('status-text'), text);
    document.body.classList.toggle('stale', state === 'disconnected');
  }

  async function poll() {
    clearTimeout(pollTimer);
    pollTimer = null;
    if (signedOut) {
      return;
    }
    try {
      const data = await api('GET', 'services');
      const services = data.services || [];
      await Promise.all(services.filter((svc) => svc.type === 'dns').map(async (svc) => {
        try {
          svc.records = (await api('GET', 'services/' + seg(svc.name) + '/records')).records || [];
        } catch (e) {
          if (e.status === 401) {
            throw e;
          }
          svc.records = null;
        }
      }));
      let certificates = null;
      try {
        certificates = (await api('GET', 'tls')).certificates || [];
      } catch (e) {
        if (e.status === 401) {
          throw e;
        }
      }
      lastOk = new Date();
      render(services);
      renderCertificates(certificates);
      status('live', 'live · updated ' + clock(lastOk));
    } catch (e) {
      if (e.status === 401) {
        return;
      }
      status('disconnected', e.status === 0
        ? 'disconnected' + (lastOk ? ' since ' + clock(lastOk) : '') + ' · retrying'
        : 'error: ' + e.message);
    }
    if (!signedOut) {
      clearTimeout(pollTimer);
      pollTimer = setTimeout(poll, POLL_MS);
    }
  }

  function showSignIn(message) {
    signedOut = true;
    clearTimeout(pollTimer);
    status('signed-out', 'sign in needed');
    $('signin').hidden = false;
    const err = $('signin-error');
    err.textContent = message || '';
    err.hidden = !message;
    $('token').focus();
  }

  function signIn(t) {
    sessionStorage.setItem(TOKEN_KEY, t);
    signedOut = false;
    $('signin').hidden = true;
    status('connecting', 'connecting…');
    poll();
  }

  // ---- wiring ------------------------------------------------------------------------------

  $('where').textContent = location.host;
  $('signin-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const t = $('token').value.trim();
    $('token').value = '';
    if (t) {
      signIn(t);
    }
  });
  $('signout').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showSignIn('');
  });
  $('notice-close').addEventListener('click', () => { $('notice').hidden = true; });
  $('save').addEventListener('click', async () => {
    const b = $('save');
    b.disabled = true;
    try {
      const r = await api('POST', 'save');
      notice('ok', r.written
        ? 'Saved the running config to ' + r.file + (r.backup ? '; the previous file is kept as ' + r.backup : '') + '.'
        : 'Nothing to save: ' + r.file + ' already holds the running config.');
    } catch (e) {
      notice('error', 'Save failed: ' + e.message);
    } finally {
      b.disabled = false;
    }
  });
  window.addEventListener('hashchange', () => {
    if (/token=/.test(location.hash)) {
      tokenFromFragment();
      signIn(token());
    }
  });

  tokenFromFragment();
  if (token()) {
    poll();
  } else {
    showSignIn('');
  }
})();
