// Browser test of the master's web dashboard: a real cluster
// (dashboard_cluster), headless Chromium driven by playwright-core.
//
//   node dashboard_test.js --cluster <dashboard_cluster binary>
//                          --screenshots <dir> [--chromium /usr/bin/chromium]
//
// Every wait is bounded, and a watchdog ends the run (and the cluster)
// if the whole test takes longer than WATCHDOG_MS.
'use strict';

const assert = require('node:assert/strict');
const {spawn} = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const zlib = require('node:zlib');
const {chromium} = require('playwright-core');

const WATCHDOG_MS = 240_000;
const STEP_MS = 30_000;

function argument(name, fallback) {
  const at = process.argv.indexOf(name);
  if (at >= 0 && at + 1 < process.argv.length) return process.argv[at + 1];
  if (fallback !== undefined) return fallback;
  throw new Error(`${name} is required`);
}

const clusterBin = argument('--cluster');
const screenshots = argument('--screenshots');
const chromiumBin = argument('--chromium', '/usr/bin/chromium');

// ---- fixtures ----

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

// A width x height RGB PNG: red on the left half, blue on the right.
function makePng(width, height) {
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;  // bit depth
  header[9] = 2;  // truecolour
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + 3 * width);
    for (let x = 0; x < width; x++) {
      const red = x < width / 2;
      row[1 + 3 * x] = red ? 220 : 30;
      row[2 + 3 * x] = 40;
      row[3 + 3 * x] = red ? 40 : 200;
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// A mono 8-bit PCM WAV of a 440 Hz tone, `seconds` long at `rate` Hz.
function makeWav(seconds, rate) {
  const samples = Math.round(seconds * rate);
  const wav = Buffer.alloc(44 + samples);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + samples, 4);
  wav.write('WAVEfmt ', 8, 'ascii');
  wav.writeUInt32LE(16, 16);    // fmt chunk size
  wav.writeUInt16LE(1, 20);     // PCM
  wav.writeUInt16LE(1, 22);     // mono
  wav.writeUInt32LE(rate, 24);  // sample rate
  wav.writeUInt32LE(rate, 28);  // bytes per second
  wav.writeUInt16LE(1, 32);     // block align
  wav.writeUInt16LE(8, 34);     // bits per sample
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(samples, 40);
  for (let i = 0; i < samples; i++) {
    wav[44 + i] = 128 + Math.round(100 * Math.sin((2 * Math.PI * 440 * i) / rate));
  }
  return wav;
}

const README = 'Warehouse dashboard test.\nSecond line.\n';
const CONFIG = {name: 'warehouse', replicas: 3, tags: ['a', 'b'], nested: {ok: true}};
const CONFIG_RAW = JSON.stringify(CONFIG);
const TABLE = 'city,population\nOslo,709037\n"Bergen, Vestland",291940\n';
const PNG = makePng(16, 16);
const WAV = makeWav(0.25, 8000);
// Not a decodable video: the test checks that a video/* object gets a
// player pointed at its signed URL, not the browser's codecs.
const CLIP = Buffer.from('not really a video\n');
const MANY = 120;  // more than one page of 100

// ---- the cluster ----

function startCluster() {
  const child = spawn(clusterBin, ['--max-seconds', String(WATCHDOG_MS / 1000 + 60)],
                      {stdio: ['pipe', 'pipe', 'inherit']});
  const lines = readline.createInterface({input: child.stdout});
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('cluster did not start in 60 s')), 60_000);
    lines.once('line', (line) => { clearTimeout(timer); resolve(JSON.parse(line)); });
    child.once('exit', (code) => reject(new Error(`dashboard_cluster exited with ${code}`)));
  });
  return {child, ready};
}

async function stopCluster(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.stdin.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

// ---- helpers run in the page (same origin, the session's cookie) ----

// Creates buckets and stores objects through the dashboard's API and
// signed PUT urls, as the page does. `objects`: [bucket, key, type, base64].
async function store(page, buckets, objects) {
  return page.evaluate(async ({buckets, objects}) => {
    const session = await (await fetch('/api/session')).json();
    const post = async (path, form) => {
      const response = await fetch(path, {
        method: 'POST',
        headers: {'X-CSRF-Token': session.csrf_token,
                  'Content-Type': 'application/x-www-form-urlencoded'},
        body: new URLSearchParams(form).toString()});
      const body = await response.json();
      if (!response.ok) throw new Error(`${path}: ${body.error}`);
      return body;
    };
    for (const name of buckets) await post('/api/buckets', {name});
    for (const [bucket, key, type, base64] of objects) {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const ticket = await post(`/api/buckets/${bucket}/uploads`,
                                {key, size: String(bytes.length), content_type: type});
      const put = await fetch(ticket.put_url, {method: 'PUT', body: bytes,
                                               headers: {'Content-Type': type}});
      if (put.status !== 200) throw new Error(`PUT ${key}: ${await put.text()}`);
    }
  }, {buckets, objects});
}

async function apiGet(page, path) {
  return page.evaluate(async (path) => {
    const response = await fetch(path);
    return {status: response.status, body: await response.json()};
  }, path);
}

async function apiDelete(page, path) {
  return page.evaluate(async (path) => {
    const session = await (await fetch('/api/session')).json();
    const response = await fetch(path, {method: 'DELETE',
                                        headers: {'X-CSRF-Token': session.csrf_token}});
    return response.status;
  }, path);
}

function b64(data) { return Buffer.from(data).toString('base64'); }

async function poll(what, check, limitMs = STEP_MS) {
  const deadline = Date.now() + limitMs;
  let last;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function shot(page, name) {
  await page.screenshot({path: path.join(screenshots, `${name}.png`), fullPage: true});
}

// ---- the test ----

async function run(cluster, browser) {
  const base = `http://${cluster.master_http}`;
  const page = await browser.newPage();
  page.setDefaultTimeout(STEP_MS);
  const consoleErrors = [];
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  // Console errors include Content-Security-Policy violations. The 401s
  // this test provokes on purpose log "Failed to load resource".
  page.on('console', (message) => {
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) {
      consoleErrors.push(message.text());
    }
  });

  console.log('step: no session -> login page, API 401');
  await page.goto(`${base}/`);
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.equal((await apiGet(page, '/api/overview')).status, 401);
  assert.equal((await page.request.get(`${base}/assets/app.js`)).status(), 401);
  await shot(page, '01-login');

  console.log('step: a wrong secret is refused');
  await page.fill('#access-key-id', cluster.access_key_id);
  await page.fill('#secret-access-key', 'x'.repeat(40));
  await page.click('#login-button');
  await page.waitForSelector('#login-error:not([hidden])');
  assert.match(await page.textContent('#login-error'), /unknown key or wrong secret/);

  console.log('step: log in');
  await page.fill('#secret-access-key', cluster.secret_access_key);
  await page.click('#login-button');
  await page.waitForSelector('body[data-loaded="overview"]');
  const cookies = await browser.cookies(base);
  const session = cookies.find((c) => c.name === 'warehouse_session');
  assert.ok(session, 'Chromium kept the Secure session cookie on http://127.0.0.1');
  assert.equal(session.secure, true);
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Strict');
  assert.equal(await page.textContent('#who'), cluster.access_key_id);

  console.log('step: store objects');
  const docs = [
    ['docs', 'readme.txt', 'text/plain', b64(README)],
    ['docs', 'data/config.json', 'application/json', b64(CONFIG_RAW)],
    ['docs', 'data/table.csv', 'text/csv', b64(TABLE)],
    ['media', 'images/pixel.png', 'image/png', PNG.toString('base64')],
    ['media', 'sounds/tone.wav', 'audio/wav', WAV.toString('base64')],
    ['media', 'clips/clip.webm', 'video/webm', CLIP.toString('base64')],
  ];
  for (let i = 0; i < MANY; i++) {
    docs.push(['docs', `many/item-${String(i).padStart(3, '0')}.txt`, 'text/plain',
               b64(`item ${i}\n`)]);
  }
  await store(page, ['docs', 'media'], docs);
  const storedBytes = docs.reduce((sum, o) => sum + Buffer.from(o[3], 'base64').length, 0);

  console.log('step: the overview shows what was stored');
  await page.goto(`${base}/#/overview`);
  await page.reload();
  await page.waitForSelector('body[data-loaded="overview"]');
  assert.equal(await page.textContent('[data-testid=servers-online]'), '1');
  assert.equal(await page.textContent('[data-testid=servers-offline]'), '0');
  assert.equal(await page.getAttribute('[data-testid=servers-card]', 'data-status'),
               'all-online');
  assert.match(await page.textContent('[data-testid=buckets-count] .value'), /^2$/);
  assert.equal(await page.textContent('[data-testid=objects-count] .value'),
               docs.length.toLocaleString('en-US'));
  assert.equal(await page.textContent('[data-testid=bytes-stored] .sub'),
               `${storedBytes.toLocaleString('en-US')} bytes`);
  await shot(page, '02-overview');

  console.log('step: browse folders and preview text, JSON, CSV, an image');
  await page.goto(`${base}/#/buckets`);
  await page.waitForSelector('body[data-loaded="buckets"]');
  await page.click('[data-testid=bucket-row] a:text-is("docs")');
  await page.waitForSelector('[data-testid=folder-row]');
  const folders = await page.$$eval('[data-testid=folder-row]', (rows) =>
    rows.map((r) => r.textContent.trim()));
  assert.deepEqual(folders, ['data/', 'many/']);
  await page.click('[data-testid=object-row][data-key="readme.txt"]');
  await page.waitForSelector('[data-testid=preview-text]');
  assert.equal(await page.textContent('[data-testid=preview-text]'), README);
  assert.equal(await page.textContent('[data-testid=details-type]'), 'text/plain');
  assert.match(await page.textContent('[data-testid=details-size]'),
               new RegExp(`\\(${README.length} bytes\\)`));
  assert.match(await page.textContent('[data-testid=details-etag]'), /^[0-9a-f]{8}$/);

  await page.click('[data-testid=folder-row] a:text-is("data/")');
  await page.waitForSelector('[data-testid=object-row][data-key="data/config.json"]');
  assert.match(await page.textContent('[data-testid=crumbs]'), /docs \/ data/);
  await page.click('[data-testid=object-row][data-key="data/config.json"]');
  await page.waitForSelector('[data-testid=preview-json]');
  assert.equal(await page.textContent('[data-testid=preview-json]'),
               JSON.stringify(CONFIG, null, 2));
  await shot(page, '03-browser-json');
  await page.click('[data-testid=json-toggle]');
  assert.equal(await page.textContent('[data-testid=preview-json]'), CONFIG_RAW);

  await page.click('[data-testid=object-row][data-key="data/table.csv"]');
  await page.waitForSelector('[data-testid=preview-csv]');
  assert.deepEqual(
    await page.$$eval('[data-testid=preview-csv] tr', (rows) =>
      rows.map((r) => [...r.children].map((c) => c.textContent))),
    [['city', 'population'], ['Oslo', '709037'], ['Bergen, Vestland', '291940']]);

  await page.goto(`${base}/#/browse/media/images/`);
  await page.click('[data-testid=object-row][data-key="images/pixel.png"]');
  await page.waitForSelector('[data-testid=preview-image]');
  await poll('the image to load', () => page.$eval('[data-testid=preview-image]',
    (img) => img.complete && img.naturalWidth === 16 && img.naturalHeight === 16));
  await shot(page, '04-browser-image');

  console.log('step: preview audio and video');
  await page.goto(`${base}/#/browse/media/sounds/`);
  await page.click('[data-testid=object-row][data-key="sounds/tone.wav"]');
  await page.waitForSelector('[data-testid=preview-audio]');
  await poll('the audio to load', () => page.$eval('[data-testid=preview-audio]',
    (audio) => audio.readyState >= 1 && Math.abs(audio.duration - 0.25) < 0.01));
  await page.goto(`${base}/#/browse/media/clips/`);
  await page.click('[data-testid=object-row][data-key="clips/clip.webm"]');
  await page.waitForSelector('[data-testid=preview-video]');
  const clipUrl = new URL(await page.getAttribute('[data-testid=preview-video]', 'src'));
  assert.notEqual(clipUrl.origin, new URL(base).origin, 'served by the volume server');
  const clip = await page.request.get(clipUrl.href);
  assert.equal(clip.status(), 200);
  assert.deepEqual(await clip.body(), CLIP);

  console.log('step: create and delete buckets through the page');
  // Every confirmation is accepted and kept, unless the test asks to
  // dismiss the next one.
  const dialogs = [];
  let dismissNext = false;
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    if (dismissNext) {
      dismissNext = false;
      dialog.dismiss();
    } else {
      dialog.accept();
    }
  });
  const bucketNames = async () => page.$$eval('[data-testid=bucket-row] td:first-child',
    (cells) => cells.map((c) => c.textContent));
  await page.goto(`${base}/#/buckets`);
  await page.waitForSelector('body[data-loaded="buckets"]');
  await page.fill('[data-testid=new-bucket]', 'Bad_Name');
  await page.click('button:text-is("Create bucket")');
  await page.waitForSelector('#banner:not([hidden])');
  assert.match(await page.textContent('#banner'), /Bad_Name/);
  assert.deepEqual(await bucketNames(), ['docs', 'media']);
  await page.fill('[data-testid=new-bucket]', 'scratch-ui');
  await page.click('button:text-is("Create bucket")');
  await poll('the new bucket', async () =>
    (await bucketNames()).includes('scratch-ui'));
  const deleteBucket = (name) => page
    .locator('[data-testid=bucket-row]', {has: page.locator(`a:text-is("${name}")`)})
    .locator('button:text-is("Delete")')
    .click();
  await deleteBucket('docs');
  await page.waitForSelector('#banner:not([hidden])');
  assert.match(await page.textContent('#banner'), /not empty/);
  await deleteBucket('scratch-ui');
  await poll('the bucket to go', async () =>
    !(await bucketNames()).includes('scratch-ui'));
  assert.deepEqual(await bucketNames(), ['docs', 'media']);

  console.log('step: page through a large folder');
  await page.goto(`${base}/#/browse/docs/many/`);
  await page.waitForSelector('[data-testid=load-more]:not([hidden])');
  assert.equal(await page.locator('[data-testid=object-row]').count(), 100);
  await page.click('[data-testid=load-more]');
  await poll('the second page', async () =>
    (await page.locator('[data-testid=object-row]').count()) === MANY);
  assert.equal(await page.isHidden('[data-testid=load-more]'), true);

  console.log('step: upload and download through the page');
  await page.goto(`${base}/#/browse/docs/`);
  await page.waitForSelector('[data-testid=object-row][data-key="readme.txt"]');
  const uploaded = Buffer.from('uploaded from the browser\n'.repeat(2000));
  await page.setInputFiles('[data-testid=upload-input]',
                           {name: 'uploaded.txt', mimeType: 'text/plain', buffer: uploaded});
  await page.waitForSelector('[data-testid=upload][data-state=done]');
  await page.waitForSelector('[data-testid=object-row][data-key="uploaded.txt"]');
  await page.click('[data-testid=object-row][data-key="uploaded.txt"]');
  await page.waitForSelector('[data-testid=preview-text]');
  assert.equal(await page.textContent('[data-testid=preview-text]'), uploaded.toString());
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('[data-testid=download]'),
  ]);
  assert.equal(download.suggestedFilename(), 'uploaded.txt');
  const saved = path.join(screenshots, 'downloaded.txt');
  await download.saveAs(saved);
  assert.ok(fs.readFileSync(saved).equals(uploaded), 'the download matches the upload');
  fs.rmSync(saved);
  await shot(page, '05-uploaded');

  console.log('step: compact a volume full of garbage');
  const blob = Buffer.alloc(256 * 1024, 7);
  const scratch = [];
  for (let i = 0; i < 6; i++) {
    scratch.push(['scratch', `blob-${i}`, 'application/octet-stream', blob.toString('base64')]);
  }
  await store(page, ['scratch'], scratch);
  await store(page, [], scratch);  // overwrite: the first copies are garbage
  for (let i = 0; i < 3; i++) {
    assert.equal(await apiDelete(page, `/api/buckets/scratch/object?key=blob-${i}`), 200);
  }
  // Deletes reach the volume server on its heartbeat stream; its next
  // heartbeat reports the garbage. 9 needles of 256 KiB became garbage.
  const garbageAtLeast = 9 * blob.length;
  const dirty = await poll('the garbage to be reported', async () => {
    const {body} = await apiGet(page, '/api/volumes');
    const total = body.volumes.reduce((sum, v) => sum + v.garbage_bytes, 0);
    if (total < garbageAtLeast) return null;
    return body.volumes.reduce((a, b) => (b.garbage_bytes > a.garbage_bytes ? b : a));
  });
  await page.goto(`${base}/#/volumes`);
  await page.waitForSelector('body[data-loaded="volumes"]');
  const row = page.locator(`[data-testid=volume-row][data-volume-id="${dirty.volume_id}"]`);
  await row.locator('[data-testid=compact]').click();
  assert.match(dialogs[dialogs.length - 1], /^Compact volume [0-9]+ now\?/);
  await poll('the compaction to finish', async () =>
    /reclaimed/.test(await row.locator('[data-testid=compaction-status]').textContent()),
  60_000);
  const after = await poll('the compacted usage to be reported', async () => {
    const {body} = await apiGet(page, '/api/volumes');
    const v = body.volumes.find((x) => x.volume_id === dirty.volume_id);
    return v.compaction && v.compaction.state === 'succeeded' &&
           v.garbage_bytes < dirty.garbage_bytes ? v : null;
  });
  assert.ok(after.compaction.bytes_reclaimed >= dirty.garbage_bytes - 64 * 1024,
            `reclaimed ${after.compaction.bytes_reclaimed} of ${dirty.garbage_bytes}`);
  assert.ok(after.size_bytes < dirty.size_bytes);
  await page.reload();
  await page.waitForSelector('body[data-loaded="volumes"]');
  // The usage meter shows the live part.
  const liveWidth = await row.locator('.meter .live').evaluate(
    (part) => part.getBoundingClientRect().width);
  assert.ok(liveWidth > 0, `the live part of volume ${dirty.volume_id}'s meter is drawn`);
  await shot(page, '06-volumes-compacted');
  console.log(`compacted volume ${dirty.volume_id}: ${dirty.garbage_bytes} bytes of garbage, ` +
              `${after.compaction.bytes_reclaimed} reclaimed`);

  console.log('step: see when the master last verified a volume');
  const verified = await poll('the master to verify the volume', async () => {
    const {body} = await apiGet(page, '/api/volumes');
    const v = body.volumes.find((x) => x.volume_id === dirty.volume_id);
    return v.verification ? v : null;
  });
  assert.equal(verified.verification.corrupt_count, 0);
  assert.ok(verified.verification.needles_checked > 0);
  await page.reload();
  await page.waitForSelector('body[data-loaded="volumes"]');
  assert.match(await row.locator('[data-testid=verification-status]').textContent(),
               /^[0-9,]+ needles intact, [0-9]+ s ago$/);

  console.log('step: mark a volume read-only and back');
  await row.locator('[data-testid=read-only]').click();
  assert.match(dialogs[dialogs.length - 1], /^Make volume [0-9]+ read-only\?/);
  await poll('the volume to show read-only', async () =>
    (await row.locator('[data-testid=read-only]').textContent()) === 'Make writable');
  assert.ok(await row.locator('.badge.ro').isVisible(), 'the read-only badge shows');
  assert.equal((await apiGet(page, '/api/volumes')).body.volumes
    .find((x) => x.volume_id === dirty.volume_id).read_only, true);
  await shot(page, '07-volume-read-only');
  await row.locator('[data-testid=read-only]').click();
  await poll('the volume to show writable', async () =>
    (await row.locator('[data-testid=read-only]').textContent()) === 'Make read-only');

  console.log('step: drain the volume server and undrain it');
  await page.goto(`${base}/#/servers`);
  await page.waitForSelector('body[data-loaded="servers"]');
  assert.equal(await page.locator('[data-testid=server-row]').count(), 1);
  const server = page.locator('[data-testid=server-row]');
  // Dismissed, the confirmation leaves the server as it was.
  dismissNext = true;
  const asked = dialogs.length;
  await server.locator('[data-testid=drain]').click();
  await poll('the confirmation', async () => dialogs.length > asked);
  assert.match(dialogs[dialogs.length - 1], /^Drain volume server /);
  assert.equal((await apiGet(page, '/api/servers')).body.servers[0].draining, false);
  assert.equal(await server.locator('[data-testid=drain]').textContent(), 'Drain');
  await server.locator('[data-testid=drain]').click();
  await poll('the server to show draining', async () =>
    /draining/.test(await server.locator('[data-testid=server-status]').textContent()));
  assert.equal(await server.locator('[data-testid=drain]').textContent(), 'Undrain');
  assert.equal((await apiGet(page, '/api/servers')).body.servers[0].draining, true);
  await shot(page, '08-server-draining');
  await server.locator('[data-testid=drain]').click();
  await poll('the server to show undrained', async () =>
    (await server.locator('[data-testid=drain]').textContent()) === 'Drain');
  assert.equal((await apiGet(page, '/api/servers')).body.servers[0].draining, false);

  console.log('step: log out');
  await page.click('#logout');
  await page.waitForURL(`${base}/login`);
  assert.equal((await apiGet(page, '/api/overview')).status, 401);
  await page.goto(`${base}/#/buckets`);
  assert.equal(new URL(page.url()).pathname, '/login');

  assert.deepEqual(consoleErrors, [], 'no script errors on the page');
}

async function main() {
  fs.mkdirSync(screenshots, {recursive: true});
  const {child, ready} = startCluster();
  const watchdog = setTimeout(() => {
    console.error(`dashboard test: over ${WATCHDOG_MS / 1000} s; stopping`);
    child.kill('SIGKILL');
    process.exit(1);
  }, WATCHDOG_MS);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'warehouse-dashboard-chromium-'));
  let browser = null;
  let failed = false;
  try {
    const cluster = await ready;
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumBin,
      headless: true,
      timeout: STEP_MS,
      viewport: {width: 1280, height: 860},
      acceptDownloads: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
             '--no-first-run', '--disable-background-networking',
             '--disable-component-update', '--disable-sync'],
    });
    await run(cluster, browser);
    console.log('dashboard test: passed');
  } catch (error) {
    failed = true;
    console.error('dashboard test: FAILED:', error);
    if (browser && browser.pages().length) {
      await shot(browser.pages()[0], 'failure').catch(() => {});
    }
  } finally {
    if (browser) await browser.close().catch(() => {});
    await stopCluster(child);
    fs.rmSync(profile, {recursive: true, force: true});
    clearTimeout(watchdog);
  }
  process.exit(failed ? 1 : 0);
}

main();
