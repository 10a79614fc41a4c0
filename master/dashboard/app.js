// The Warehouse dashboard: one page over the master's JSON API
// (docs/dashboard.md). Object bytes go straight between the browser and
// the volume servers through signed URLs.
'use strict';

const state = {csrf: '', pollTimer: null, browse: null};
// Objects larger than this are not fetched for a text preview.
const PREVIEW_TEXT_LIMIT = 1 << 20;
const PAGE_SIZE = 100;

// ---- helpers ----

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) {
      node.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      node.className = value;
    } else {
      node.setAttribute(name, value === true ? '' : value);
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(child));
  }
  return node;
}

function formatBytes(n) {
  n = Number(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return i === 0 ? `${n} B` : `${n.toFixed(n < 10 ? 2 : 1)} ${units[i]}`;
}

function formatCount(n) { return Number(n).toLocaleString('en-US'); }

function formatTime(ms) {
  if (!ms) return 'never';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

function ago(ms) {
  if (!ms) return 'never';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

function percent(part, whole) {
  return whole > 0 ? Math.min(100, (100 * part) / whole) : 0;
}

function meter(parts, whole, text, testid) {
  const bar = el('span', {class: 'meter', 'data-testid': testid});
  let left = 0;
  for (const [cls, value] of parts) {
    const width = percent(value, whole);
    // Set through the CSSOM: the page's CSP forbids inline style attributes.
    const part = el('span', {class: cls});
    part.style.left = `${left}%`;
    part.style.width = `${width}%`;
    bar.append(part);
    left += width;
  }
  return el('span', {}, bar, el('span', {class: 'meter-text'}, text));
}

function banner(text) {
  const box = document.getElementById('banner');
  box.textContent = text || '';
  box.hidden = !text;
}

class ApiError extends Error {
  constructor(status, body) {
    super(body.error || `HTTP ${status}`);
    this.status = status;
    this.code = body.code;
  }
}

// Calls the master's API. `form` (an object) becomes a form-encoded body.
async function api(method, path, form) {
  const options = {method, credentials: 'same-origin', headers: {}};
  if (method !== 'GET') options.headers['X-CSRF-Token'] = state.csrf;
  if (form) {
    options.headers['Content-Type'] = 'application/x-www-form-urlencoded';
    options.body = new URLSearchParams(form).toString();
  }
  const response = await fetch(path, options);
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) {
    window.location.assign('/login');
    throw new ApiError(401, body);
  }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

function encodeBucket(bucket) { return encodeURIComponent(bucket); }

function objectPath(bucket, what, key) {
  return `/api/buckets/${encodeBucket(bucket)}/${what}?key=${encodeURIComponent(key)}`;
}

function setView(...nodes) {
  const view = document.getElementById('view');
  view.replaceChildren(...nodes);
  return view;
}

function stopPolling() {
  if (state.pollTimer) clearTimeout(state.pollTimer);
  state.pollTimer = null;
}

// ---- overview ----

async function showOverview() {
  setView(el('h2', {}, 'Overview'), el('p', {class: 'muted'}, 'Loading…'));
  const o = await api('GET', '/api/overview');
  const s = o.servers;
  const statusText = {
    'all-online': 'all online', 'some-offline': 'some offline',
    'all-offline': 'all offline', 'none': 'none registered'}[s.status];
  const total = o.capacity.used_bytes + o.capacity.free_bytes;
  const card = (label, value, sub, testid, cls) =>
    el('div', {class: `card ${cls || ''}`, 'data-testid': testid},
       el('div', {class: 'label'}, label), el('div', {class: 'value'}, value),
       sub ? el('div', {class: 'sub'}, sub) : null);
  setView(
    el('h2', {}, 'Overview'),
    el('div', {class: 'cards'},
       el('div', {class: `card status-${s.status}`, 'data-testid': 'servers-card',
                  'data-status': s.status},
          el('div', {class: 'label'}, 'Volume servers'),
          el('div', {class: 'value'}, el('span', {class: 'dot'}),
             el('span', {'data-testid': 'servers-online'}, String(s.online)),
             ' online'),
          el('div', {class: 'sub'},
             el('span', {'data-testid': 'servers-offline'}, String(s.offline)),
             ` offline · ${statusText}`)),
       card('Buckets', formatCount(o.buckets), null, 'buckets-count'),
       card('Objects', formatCount(o.objects), null, 'objects-count'),
       card('Stored', formatBytes(o.bytes), `${formatCount(o.bytes)} bytes`,
            'bytes-stored'),
       el('div', {class: 'card', 'data-testid': 'capacity'},
          el('div', {class: 'label'}, 'Capacity'),
          el('div', {class: 'value'}, formatBytes(o.capacity.used_bytes), ' used'),
          el('div', {class: 'sub'}, `${formatBytes(o.capacity.free_bytes)} free`),
          el('div', {class: 'sub'},
             meter([['used', o.capacity.used_bytes]], total,
                   `${percent(o.capacity.used_bytes, total).toFixed(1)} %`,
                   'capacity-meter')))));
}

// ---- servers ----

// Posts `form` to `path`, then shows `view` again; on an error, says so
// and lets `button` be pressed again.
// Posts `form` to `path` for `button`, then shows `view`; with a
// `question`, only once the user has confirmed it.
async function act(button, path, form, what, view, question) {
  if (question && !window.confirm(question)) return;
  button.disabled = true;
  try {
    await api('POST', path, form);
    await view();
  } catch (error) {
    banner(`${what}: ${error.message}`);
    button.disabled = false;
  }
}

async function showServers() {
  const {servers} = await api('GET', '/api/servers');
  const rows = servers.map((s) => {
    const drain = el('button', {'data-testid': 'drain'},
                     s.draining ? 'Undrain' : 'Drain');
    drain.addEventListener('click', () => act(
      drain, `/api/servers/${encodeURIComponent(s.server_id)}/draining`,
      {draining: String(!s.draining)}, `volume server ${s.server_id}`,
      showServers,
      s.draining ? null : `Drain volume server ${s.server_id}? It takes no ` +
        'new uploads or volumes until it is undrained.'));
    return el('tr', {'data-testid': 'server-row', 'data-server-id': s.server_id},
      el('td', {'data-testid': 'server-status'},
         el('span', {class: `dot ${s.online ? 'online' : 'offline'}`}),
         s.online ? 'online' : 'offline', s.draining ? ' (draining)' : ''),
      el('td', {}, (s.tls ? 'https://' : '') + s.address,
         el('div', {class: 'muted'}, s.server_id)),
      el('td', {title: formatTime(s.last_heartbeat_unix_ms)},
         ago(s.last_heartbeat_unix_ms)),
      el('td', {class: 'num'}, `${s.volume_count} / ${s.max_volumes}`),
      el('td', {}, meter([['live', s.live_bytes], ['garbage', s.garbage_bytes]],
                         s.used_bytes + s.disk_free_bytes,
                         `${formatBytes(s.used_bytes)} of ` +
                         formatBytes(s.used_bytes + s.disk_free_bytes))),
      el('td', {}, drain));
  });
  setView(el('h2', {}, 'Volume servers'),
    el('p', {class: 'muted'}, 'A draining server takes no new uploads or ' +
       'volumes; what it holds still reads, deletes and compacts.'),
    el('table', {},
       el('thead', {}, el('tr', {}, el('th', {}, 'Status'), el('th', {}, 'Address'),
          el('th', {}, 'Last heartbeat'), el('th', {class: 'num'}, 'Volumes'),
          el('th', {}, 'Usage (live, garbage) of disk'), el('th', {}, ''))),
       el('tbody', {}, rows.length ? rows :
          el('tr', {}, el('td', {colspan: 6, class: 'muted'}, 'No volume servers.')))));
}

// ---- volumes ----

function compactionText(v) {
  const c = v.compaction;
  if (v.compacting || (c && c.state === 'running')) return 'compacting…';
  if (!c) return '';
  if (c.state === 'succeeded') return `reclaimed ${formatBytes(c.bytes_reclaimed)}`;
  return `failed: ${c.error}`;
}

// When the volume was last read back to the end, and what was found.
function verificationCell(v) {
  const c = v.verification;
  if (!c) return el('span', {class: 'muted', 'data-testid': 'verification-status'}, 'never');
  const when = el('span', {title: formatTime(c.finished_unix_ms)}, ago(c.finished_unix_ms));
  if (c.corrupt_count > 0) {
    return el('span', {'data-testid': 'verification-status'},
              el('span', {class: 'badge bad'}, `${formatCount(c.corrupt_count)} corrupt`),
              ' ', when);
  }
  return el('span', {'data-testid': 'verification-status'},
            `${formatCount(c.needles_checked)} needles intact, `, when);
}

async function showVolumes(polls = 0) {
  stopPolling();
  const {volumes} = await api('GET', '/api/volumes');
  let running = false;
  const rows = volumes.map((v) => {
    const moving = v.moving_to_server_id !== '';
    const busy = v.compacting || (v.compaction && v.compaction.state === 'running');
    running = running || busy || moving;
    const capacity = v.max_size_bytes || v.size_bytes;
    const button = el('button', {'data-testid': 'compact',
                                 disabled: busy || moving || !v.server_online},
                      'Compact');
    button.addEventListener('click', () => act(
      button, `/api/volumes/${v.volume_id}/compact`, {}, `volume ${v.volume_id}`,
      () => showVolumes(),
      `Compact volume ${v.volume_id} now? Its server copies its ` +
        `${formatBytes(v.live_bytes)} of live data while it keeps serving.`));
    const mark = el('button', {'data-testid': 'read-only',
                               disabled: moving || !v.server_online},
                    v.read_only ? 'Make writable' : 'Make read-only');
    mark.addEventListener('click', () => act(
      mark, `/api/volumes/${v.volume_id}/read-only`,
      {read_only: String(!v.read_only)}, `volume ${v.volume_id}`,
      () => showVolumes(),
      v.read_only ? null : `Make volume ${v.volume_id} read-only? It takes ` +
        'no more uploads until it is made writable.'));
    return el('tr', {'data-testid': 'volume-row', 'data-volume-id': v.volume_id},
      el('td', {class: 'num'}, String(v.volume_id)),
      el('td', {}, v.server_address,
         v.server_online ? '' : el('span', {class: 'muted'}, ' (offline)'),
         moving ? el('span', {class: 'muted', 'data-testid': 'moving'},
                     ` (moving to ${v.moving_to_server_id})`) : ''),
      el('td', {}, meter([['live', v.live_bytes], ['garbage', v.garbage_bytes]],
                         capacity,
                         `${formatBytes(v.live_bytes)} live, ` +
                         `${formatBytes(v.garbage_bytes)} garbage`)),
      el('td', {class: 'num', 'data-testid': 'needles'}, formatCount(v.needle_count)),
      el('td', {}, v.read_only ? el('span', {class: 'badge ro'}, 'read-only') : '',
         ' ', mark),
      el('td', {}, button, ' ',
         el('span', {class: 'muted', 'data-testid': 'compaction-status'},
            compactionText(v))),
      el('td', {}, verificationCell(v)));
  });
  setView(el('h2', {}, 'Volumes'),
    el('p', {class: 'legend muted'},
       el('span', {}, el('i', {class: 'live'}), 'live'),
       el('span', {}, el('i', {class: 'garbage'}), 'garbage'),
       el('span', {}, el('i', {class: 'free'}), 'free, of the volume size')),
    el('table', {},
       el('thead', {}, el('tr', {}, el('th', {class: 'num'}, 'Volume'),
          el('th', {}, 'Server'), el('th', {}, 'Usage'),
          el('th', {class: 'num'}, 'Needles'), el('th', {}, 'Flags'),
          el('th', {}, 'Compaction'), el('th', {}, 'Verified'))),
       el('tbody', {}, rows.length ? rows :
          el('tr', {}, el('td', {colspan: 7, class: 'muted'}, 'No volumes yet.')))));
  // Follow a running compaction until its server reports the outcome.
  if (running && polls < 600 && currentRoute().view === 'volumes') {
    state.pollTimer = setTimeout(() => showVolumes(polls + 1).catch(showError), 1000);
  }
}

// ---- buckets ----

async function showBuckets() {
  const {buckets} = await api('GET', '/api/buckets');
  const nameInput = el('input', {placeholder: 'new-bucket-name', 'data-testid': 'new-bucket'});
  const create = el('form', {class: 'toolbar', onsubmit: async (event) => {
    event.preventDefault();
    try {
      await api('POST', '/api/buckets', {name: nameInput.value.trim()});
      banner('');
      await showBuckets();
    } catch (error) { banner(error.message); }
  }}, nameInput, el('button', {class: 'primary', type: 'submit'}, 'Create bucket'));
  const rows = buckets.map((b) => el('tr', {'data-testid': 'bucket-row'},
    el('td', {}, el('a', {href: `#/browse/${encodeBucket(b.name)}/`}, b.name)),
    el('td', {class: 'num'}, formatCount(b.object_count)),
    el('td', {class: 'num'}, formatBytes(b.total_bytes)),
    el('td', {}, formatTime(b.created_unix_ms)),
    el('td', {}, el('button', {class: 'danger', onclick: async () => {
      if (!window.confirm(`Delete bucket ${b.name}?`)) return;
      try {
        await api('DELETE', `/api/buckets/${encodeBucket(b.name)}`);
        banner('');
        await showBuckets();
      } catch (error) { banner(error.message); }
    }}, 'Delete'))));
  setView(el('h2', {}, 'Buckets'), create,
    el('table', {},
       el('thead', {}, el('tr', {}, el('th', {}, 'Name'),
          el('th', {class: 'num'}, 'Objects'), el('th', {class: 'num'}, 'Size'),
          el('th', {}, 'Created'), el('th', {}, ''))),
       el('tbody', {}, rows.length ? rows :
          el('tr', {}, el('td', {colspan: 5, class: 'muted'}, 'No buckets yet.')))));
}

// ---- object browser ----

function browseHref(bucket, prefix) {
  return `#/browse/${encodeBucket(bucket)}/${prefix.split('/').map(encodeURIComponent).join('/')}`;
}

function crumbs(bucket, prefix) {
  const parts = prefix.split('/').filter((p) => p.length);
  const nodes = [el('a', {href: '#/buckets'}, 'Buckets'), ' / ',
                 el('a', {href: browseHref(bucket, '')}, bucket)];
  let path = '';
  for (const part of parts) {
    path += `${part}/`;
    nodes.push(' / ', el('a', {href: browseHref(bucket, path)}, part));
  }
  return el('div', {class: 'crumbs', 'data-testid': 'crumbs'}, nodes);
}

async function loadPage(b) {
  const query = new URLSearchParams({prefix: b.prefix, delimiter: '/',
                                     page_size: String(PAGE_SIZE)});
  if (b.token) query.set('continuation_token', b.token);
  const page = await api('GET', `/api/buckets/${encodeBucket(b.bucket)}/objects?${query}`);
  for (const prefix of page.prefixes) {
    const name = prefix.slice(b.prefix.length);
    b.tbody.append(el('tr', {class: 'clickable', 'data-testid': 'folder-row',
                             onclick: () => window.location.assign(browseHref(b.bucket, prefix))},
      el('td', {class: 'folder'}, el('a', {href: browseHref(b.bucket, prefix)}, name)),
      el('td', {}), el('td', {}), el('td', {})));
  }
  for (const object of page.objects) {
    const row = el('tr', {class: 'clickable', 'data-testid': 'object-row',
                          'data-key': object.key},
      el('td', {}, object.key.slice(b.prefix.length)),
      el('td', {class: 'num'}, formatBytes(object.size)),
      el('td', {}, object.content_type),
      el('td', {}, formatTime(object.updated_unix_ms)));
    row.addEventListener('click', () => {
      for (const r of b.tbody.querySelectorAll('tr.selected')) r.classList.remove('selected');
      row.classList.add('selected');
      showDetails(b, object.key).catch(showError);
    });
    b.tbody.append(row);
  }
  b.token = page.next_continuation_token;
  b.more.hidden = !b.token;
  if (!b.tbody.children.length) {
    b.tbody.append(el('tr', {}, el('td', {colspan: 4, class: 'muted'}, 'Empty.')));
  }
}

function uploadOne(b, file, list) {
  const key = b.prefix + file.name;
  const bar = el('progress', {class: 'progress', max: file.size || 1, value: 0});
  const text = el('span', {class: 'muted'}, ' starting…');
  const line = el('div', {'data-testid': 'upload'}, `${key} `, bar, text);
  list.append(line);
  return api('POST', `/api/buckets/${encodeBucket(b.bucket)}/uploads`, {
    key, size: String(file.size), content_type: file.type || 'application/octet-stream',
  }).then((ticket) => new Promise((resolve, reject) => {
    // Straight to the volume server: the browser streams the file.
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', ticket.put_url);
    xhr.setRequestHeader('Content-Type', ticket.content_type);
    xhr.upload.onprogress = (event) => {
      bar.value = event.loaded;
      text.textContent = ` ${formatBytes(event.loaded)} of ${formatBytes(file.size)}`;
    };
    xhr.onload = () => {
      if (xhr.status === 200) {
        bar.value = bar.max;
        text.textContent = ' done';
        line.dataset.state = 'done';
        resolve();
      } else {
        let message = `HTTP ${xhr.status}`;
        try { message = JSON.parse(xhr.responseText).error || message; } catch (e) { /* not JSON */ }
        text.textContent = ` failed: ${message}`;
        line.dataset.state = 'failed';
        reject(new Error(`${key}: ${message}`));
      }
    };
    xhr.onerror = () => {
      text.textContent = ' failed: network error';
      line.dataset.state = 'failed';
      reject(new Error(`${key}: network error`));
    };
    xhr.timeout = 0;
    xhr.send(file);
  }));
}

async function showBrowser(bucket, prefix) {
  const b = {bucket, prefix, token: '', tbody: el('tbody'),
             more: el('button', {hidden: true, 'data-testid': 'load-more'}, 'Load more'),
             details: el('div', {class: 'details', 'data-testid': 'details'},
                         el('p', {class: 'muted'}, 'Select an object to see its details.'))};
  state.browse = b;
  b.more.addEventListener('click', () => loadPage(b).catch(showError));
  const uploads = el('div', {class: 'uploads'});
  const picker = el('input', {type: 'file', multiple: true, 'data-testid': 'upload-input'});
  picker.addEventListener('change', async () => {
    const files = [...picker.files];
    picker.value = '';
    try {
      for (const file of files) await uploadOne(b, file, uploads);
      banner('');
    } catch (error) { banner(error.message); }
    await showBrowser(bucket, prefix);
    document.querySelector('.uploads').replaceWith(uploads);
  });
  setView(el('h2', {}, 'Objects'), crumbs(bucket, prefix),
    el('div', {class: 'toolbar'}, el('label', {}, 'Upload to this folder: ', picker)),
    uploads,
    el('div', {class: 'browser'},
       el('div', {},
          el('table', {'data-testid': 'objects'},
             el('thead', {}, el('tr', {}, el('th', {}, 'Name'),
                el('th', {class: 'num'}, 'Size'), el('th', {}, 'Type'),
                el('th', {}, 'Last updated'))),
             b.tbody),
          el('div', {class: 'toolbar'}, b.more)),
       b.details));
  await loadPage(b);
}

function parseCsv(text, maxRows) {
  const rows = [];
  let row = [], field = '', quoted = false;
  for (let i = 0; i < text.length && rows.length < maxRows; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += c;
  }
  if ((field || row.length) && rows.length < maxRows) { row.push(field); rows.push(row); }
  return rows;
}

async function preview(object, url) {
  const type = (object.content_type || '').split(';')[0].trim().toLowerCase();
  const box = el('div', {class: 'preview', 'data-testid': 'preview'});
  if (type.startsWith('image/')) {
    box.append(el('img', {src: url, alt: object.key, 'data-testid': 'preview-image'}));
    return box;
  }
  if (type.startsWith('audio/')) {
    box.append(el('audio', {src: url, controls: true, 'data-testid': 'preview-audio'}));
    return box;
  }
  if (type.startsWith('video/')) {
    box.append(el('video', {src: url, controls: true, 'data-testid': 'preview-video'}));
    return box;
  }
  const textual = type.startsWith('text/') || type === 'application/json' ||
                  type.endsWith('+json') || type === 'application/xml';
  if (!textual) {
    box.append(el('p', {class: 'muted'}, `No preview for ${type || 'this type'}.`));
    return box;
  }
  if (object.size > PREVIEW_TEXT_LIMIT) {
    box.append(el('p', {class: 'muted'},
                  `Too large to preview (over ${formatBytes(PREVIEW_TEXT_LIMIT)}).`));
    return box;
  }
  const response = await fetch(url, {credentials: 'omit'});
  if (!response.ok) throw new Error(`preview: HTTP ${response.status}`);
  const text = await response.text();
  if (type === 'application/json' || type.endsWith('+json')) {
    let formatted = null;
    try { formatted = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* raw only */ }
    const pre = el('pre', {'data-testid': 'preview-json'}, formatted ?? text);
    pre.dataset.mode = formatted === null ? 'raw' : 'formatted';
    if (formatted !== null) {
      const toggle = el('button', {'data-testid': 'json-toggle'}, 'Show raw');
      toggle.addEventListener('click', () => {
        const raw = pre.dataset.mode === 'formatted';
        pre.textContent = raw ? text : formatted;
        pre.dataset.mode = raw ? 'raw' : 'formatted';
        toggle.textContent = raw ? 'Show formatted' : 'Show raw';
      });
      box.append(toggle);
    } else {
      box.append(el('p', {class: 'muted'}, 'Not valid JSON; shown raw.'));
    }
    box.append(pre);
    return box;
  }
  if (type === 'text/csv') {
    const rows = parseCsv(text, 201);
    const [head, ...body] = rows;
    box.append(el('table', {'data-testid': 'preview-csv'},
      el('thead', {}, el('tr', {}, (head || []).map((h) => el('th', {}, h)))),
      el('tbody', {}, body.slice(0, 200).map((r) => el('tr', {}, r.map((f) => el('td', {}, f)))))));
    if (rows.length > 200) box.append(el('p', {class: 'muted'}, 'First 200 rows.'));
    return box;
  }
  box.append(el('pre', {'data-testid': 'preview-text'}, text));
  return box;
}

async function download(b, object, button, status) {
  button.disabled = true;
  try {
    const ticket = await api('GET', objectPath(b.bucket, 'download-url', object.key));
    const response = await fetch(ticket.get_url, {credentials: 'omit'});
    if (!response.ok) throw new Error(`download: HTTP ${response.status}`);
    const reader = response.body.getReader();
    const chunks = [];
    let received = 0;
    for (;;) {
      const {done, value} = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      status.textContent = ` ${formatBytes(received)} of ${formatBytes(object.size)}`;
    }
    const url = URL.createObjectURL(new Blob(chunks, {type: object.content_type}));
    const link = el('a', {href: url, download: object.key.split('/').pop()});
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    status.textContent = ' downloaded';
  } catch (error) {
    status.textContent = ` ${error.message}`;
  } finally {
    button.disabled = false;
  }
}

async function showDetails(b, key) {
  b.details.replaceChildren(el('p', {class: 'muted'}, 'Loading…'));
  const ticket = await api('GET', objectPath(b.bucket, 'download-url', key));
  const object = ticket.object;
  const status = el('span', {class: 'muted', 'data-testid': 'download-status'});
  const downloadButton = el('button', {'data-testid': 'download'}, 'Download');
  downloadButton.addEventListener('click', () => download(b, object, downloadButton, status));
  const deleteButton = el('button', {class: 'danger', 'data-testid': 'delete-object'}, 'Delete');
  deleteButton.addEventListener('click', async () => {
    if (!window.confirm(`Delete ${key}?`)) return;
    try {
      await api('DELETE', objectPath(b.bucket, 'object', key));
      await showBrowser(b.bucket, b.prefix);
    } catch (error) { banner(error.message); }
  });
  b.details.replaceChildren(
    el('h3', {'data-testid': 'details-key'}, key.split('/').pop()),
    el('dl', {},
       el('dt', {}, 'Key'), el('dd', {}, key),
       el('dt', {}, 'Size'), el('dd', {'data-testid': 'details-size'},
                                 `${formatBytes(object.size)} (${formatCount(object.size)} bytes)`),
       el('dt', {}, 'Type'), el('dd', {'data-testid': 'details-type'}, object.content_type),
       el('dt', {}, 'ETag'), el('dd', {'data-testid': 'details-etag'}, object.etag),
       el('dt', {}, 'Last updated'), el('dd', {}, formatTime(object.updated_unix_ms))),
    el('div', {class: 'toolbar'}, downloadButton, deleteButton, status),
    el('p', {class: 'muted'}, 'Loading preview…'));
  try {
    b.details.lastChild.replaceWith(await preview(object, ticket.get_url));
  } catch (error) {
    b.details.lastChild.replaceWith(el('p', {class: 'error'}, error.message));
  }
}

// ---- routing ----

function currentRoute() {
  const hash = window.location.hash.replace(/^#\/?/, '');
  if (hash.startsWith('browse/')) {
    const rest = hash.slice('browse/'.length);
    const slash = rest.indexOf('/');
    const bucket = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash));
    const prefix = slash < 0 ? '' : rest.slice(slash + 1).split('/')
      .map(decodeURIComponent).join('/');
    return {view: 'browse', bucket, prefix};
  }
  return {view: ['servers', 'volumes', 'buckets'].includes(hash) ? hash : 'overview'};
}

function showError(error) {
  if (error instanceof ApiError && error.status === 401) return;
  banner(error.message || String(error));
}

async function route() {
  stopPolling();
  banner('');
  const r = currentRoute();
  for (const link of document.querySelectorAll('nav a')) {
    const active = link.dataset.view === r.view ||
                   (r.view === 'browse' && link.dataset.view === 'buckets');
    link.classList.toggle('active', active);
  }
  try {
    if (r.view === 'servers') await showServers();
    else if (r.view === 'volumes') await showVolumes();
    else if (r.view === 'buckets') await showBuckets();
    else if (r.view === 'browse') await showBrowser(r.bucket, r.prefix);
    else await showOverview();
    document.body.dataset.loaded = r.view;
  } catch (error) {
    showError(error);
  }
}

async function start() {
  try {
    const session = await api('GET', '/api/session');
    state.csrf = session.csrf_token;
    document.getElementById('who').textContent = session.access_key_id;
  } catch (error) {
    showError(error);
    return;
  }
  document.getElementById('logout').addEventListener('click', async () => {
    try { await api('POST', '/api/logout', {}); } catch (error) { /* gone anyway */ }
    window.location.assign('/login');
  });
  window.addEventListener('hashchange', route);
  await route();
}

start();
