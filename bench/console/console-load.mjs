// The web console's weight and speed: JS+CSS+HTML bytes as built and as sent (gzip, brotli for
// reference), and time to interactive in Debian's Chromium (navigation start → signed-in service map
// rendered, and → every group of the map loaded), cold (cache disabled) and warm, median of N loads.
// Goals (issue #22): first load under 300 KB compressed, interactive under 1 s.
// Usage: node bench/console/console-load.mjs [--quick]   (needs /usr/bin/chromium and a build)
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { machine, printTable, repoRoot, startServer, summarize } from '../lib/report.mjs';

const quick = process.argv.includes('--quick');
const LOADS = quick ? 5 : 11;
const assets = join(repoRoot, 'apps/console/dist/assets');
if (!existsSync(join(assets, 'app.js'))) {
  console.error('console-load: apps/console/dist/assets is missing; run `node tools/build.mjs apps/console` first.');
  process.exit(1);
}

const weights = [];
let raw = 0;
let gz = 0;
let br = 0;
for (const name of readdirSync(assets).sort()) {
  const body = readFileSync(join(assets, name));
  const g = gzipSync(body, { level: 9 }).length;
  const b = brotliCompressSync(body).length;
  raw += body.length;
  gz += g;
  br += b;
  weights.push([name, `${(body.length / 1024).toFixed(1)} KB raw, ${(g / 1024).toFixed(1)} KB gzip, ${(b / 1024).toFixed(1)} KB brotli`]);
}
weights.push(['total (first load)', `${(raw / 1024).toFixed(1)} KB raw, ${(gz / 1024).toFixed(1)} KB gzip (as served; goal < 300 KB), ${(br / 1024).toFixed(1)} KB brotli`]);

console.log(`machine: ${machine()}`);
printTable('Console assets', weights);

if (!existsSync('/usr/bin/chromium')) {
  console.log('\nTime to interactive: skipped (/usr/bin/chromium is missing; apt-get install -y chromium).');
  process.exit(0);
}

const server = await startServer();
const profile = mkdtempSync(join(tmpdir(), 'atoll-bench-chromium-'));
let context;
try {
  const base = `${server.endpoint}/_atoll/console/`;
  const signIn = await fetch(`${base}api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(server.credentials) });
  const cookie = /atoll_console=([^;]+)/.exec(signIn.headers.get('set-cookie') ?? '')?.[1];
  if (!cookie) throw new Error(`sign-in failed: ${signIn.status} ${await signIn.text()}`);
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  await context.addCookies([{ name: 'atoll_console', value: cookie, url: base }]);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  // Bytes on the wire (compressed bodies and headers), counted from the browser's network events.
  await cdp.send('Network.enable');
  let wire = 0;
  cdp.on('Network.loadingFinished', (e) => {
    wire += e.encodedDataLength;
  });
  const measure = async () => {
    await page.goto('about:blank');
    wire = 0;
    await page.goto(base, { waitUntil: 'commit' });
    await page.waitForSelector('h1:text("Service map")', { timeout: 30_000 });
    const interactive = await page.evaluate(() => performance.now());
    await page.waitForFunction(() => !document.querySelector('.loading'), undefined, { timeout: 30_000, polling: 10 });
    const loaded = await page.evaluate(() => performance.now());
    return { interactive, loaded, transferred: wire };
  };
  const rows = [];
  for (const [label, disabled] of [['cold (cache disabled)', true], ['warm (revalidated by ETag)', false]]) {
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: disabled });
    await measure(); // warm-up: the server's first console request loads the SDK clients
    const runs = [];
    for (let i = 0; i < LOADS; i++) runs.push(await measure());
    const tti = summarize(runs.map((r) => r.interactive));
    const all = summarize(runs.map((r) => r.loaded));
    rows.push([`${label}: interactive`, `median ${tti.p50.toFixed(0)} ms, p90 ${tti.p90.toFixed(0)} ms (goal < 1000 ms)`]);
    rows.push([`${label}: map fully loaded`, `median ${all.p50.toFixed(0)} ms, p90 ${all.p90.toFixed(0)} ms`]);
    rows.push([`${label}: bytes on the wire (page, assets, API)`, `${(summarize(runs.map((r) => r.transferred)).p50 / 1024).toFixed(1)} KB`]);
  }
  printTable(`Time to interactive (${LOADS} loads each, empty platform, Chromium headless)`, rows);
} finally {
  await context?.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
  await server.stop();
}
