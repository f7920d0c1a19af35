// The web page at GET /: its routes through the real canister wasm on the host, and
// the page itself in a real Chromium (Debian's /usr/bin/chromium through playwright-core),
// served the way npm start serves it (scripts/lib/gateway.ts over node:http).

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAzleCanister, createActor, DEFAULT_CONTROLLER, Host, lastCall } from '../host/index.ts';
import { idlFactory, type DecentAIService } from '../canister/types.ts';
import { uploadModel } from '../client/upload.ts';
import { loadModel, type Model } from '../engine/index.ts';
import { defaultModel, sharedSpamModel } from '../scripts/lib/models.ts';
import { callHttp, gatewayHandler } from '../scripts/lib/gateway.ts';
import { PAGE_CSS, PAGE_HTML, PAGE_JS } from '../canister/page.ts';

const CHROMIUM = '/usr/bin/chromium';
/** Gitignored: screenshots and whatever else a test leaves for people to look at. */
const OUTPUT = 'test-output';

let actor: DecentAIService;
let model: Model;
let name: string;
let server: Server;
let base: string;

const call = (method: string, url: string, headers: [string, string][] = [], body = '') =>
  callHttp(actor, { method, url, headers, body: new TextEncoder().encode(body) });
const header = (h: [string, string][], k: string) => h.find(([n]) => n === k)?.[1];

beforeAll(async () => {
  const { wasm } = await buildAzleCanister('decentai');
  const host = await Host.create();
  const canister = await host.install(wasm);
  const admin = createActor<DecentAIService>(canister, idlFactory, { caller: DEFAULT_CONTROLLER });
  actor = createActor<DecentAIService>(canister, idlFactory);
  const source = sharedSpamModel() ?? defaultModel();
  name = source.name;
  model = loadModel(source.bytes);
  await uploadModel(admin, source.name, source.bytes);
  server = createServer(gatewayHandler(actor));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
});

describe('the page from the canister', () => {
  it('serves GET /, /page.css and /page.js as static files, small and cheap', async () => {
    const total = [PAGE_HTML, PAGE_CSS, PAGE_JS].map((s) => s.length);
    for (const [path, type, text] of [
      ['/', 'text/html', PAGE_HTML],
      ['/page.css', 'text/css', PAGE_CSS],
      ['/page.js', 'text/javascript', PAGE_JS],
    ]) {
      const r = await call('GET', path, [['accept', 'text/html']]);
      expect(r.status).toBe(200);
      expect(header(r.headers, 'content-type')).toBe(`${type}; charset=utf-8`);
      expect(header(r.headers, 'content-security-policy')).toMatch(/default-src 'self'/);
      expect(new TextDecoder().decode(r.body)).toBe(text);
      const again = await call('GET', path);
      expect(again.body).toEqual(r.body); // static: the same bytes every time (certifiable)
      console.log(`page ${path}: ${r.body.length} bytes, ${lastCall(actor as never)!.instructions} instructions to serve`);
    }
    expect(/[^\x00-\x7f]/.test(PAGE_HTML + PAGE_CSS + PAGE_JS)).toBe(false);
    expect(total.reduce((a, b) => a + b)).toBeLessThan(16 * 1024);
    expect((await call('POST', '/', [], '{}')).status).toBe(405);
  });

  it('keeps the JSON endpoint list at /api', async () => {
    const r = await call('GET', '/api');
    expect(r.status).toBe(200);
    expect(header(r.headers, 'content-type')).toBe('application/json');
    const body = JSON.parse(new TextDecoder().decode(r.body));
    expect(body.service).toBe('decentai');
    expect(body.endpoints).toContain('POST /models/{name}/predict');
  });

  it('answers CORS preflights and marks REST answers for any origin', async () => {
    const pre = await call('OPTIONS', `/models/${name}/predict`, [
      ['origin', 'https://example.org'],
      ['access-control-request-method', 'POST'],
      ['access-control-request-headers', 'content-type'],
    ]);
    expect(pre.status).toBe(204);
    expect(header(pre.headers, 'access-control-allow-origin')).toBe('*');
    expect(header(pre.headers, 'access-control-allow-methods')).toMatch(/POST/);
    expect(header(pre.headers, 'access-control-allow-headers')).toMatch(/content-type/);
    for (const r of [await call('GET', '/models'), await call('POST', `/models/${name}/predict`, [], '{"text":"hi"}'), await call('GET', '/models/nope')]) {
      expect(header(r.headers, 'access-control-allow-origin')).toBe('*');
    }
    // A browser on another origin: the preflight passes and the answer is readable.
    const res = await fetch(`${base}/models/${name}/predict`, { method: 'OPTIONS', headers: { origin: 'https://example.org' } });
    expect(res.status).toBe(204);
  });
});

describe('the page in a real browser', () => {
  const found = existsSync(CHROMIUM);
  if (!found) console.warn(`page browser test skipped: no ${CHROMIUM} (apt-get install chromium)`);
  it.skipIf(!found)('lists the models, predicts a typed text as bars, and a verified one', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(`${base}/`);
      await page.waitForSelector('#models .hash');
      const firstRow = await page.locator('#models tbody tr').first().locator('td').allTextContents();
      expect(firstRow[0]).toBe(name);
      expect(firstRow[2]).toBe(model.labels.join(', '));
      expect(firstRow[5]).toMatch(/^[0-9a-f]{64} (bytes|part 1 part 2( part \d+)*) $/);
      expect(firstRow[6]).toBe('yes');
      // The bytes links: joined in order, their SHA-256 is the listed one (the off-chain check).
      const links = await page.locator('#models tbody tr').first().locator('.hash a').evaluateAll((as) => as.map((a) => (a as unknown as { href: string }).href));
      const parts = await Promise.all(links.map(async (href) => new Uint8Array(await (await fetch(href)).arrayBuffer())));
      const joined = Buffer.concat(parts);
      expect(createHash('sha256').update(joined).digest('hex')).toBe(firstRow[5].slice(0, 64));
      if (model.metadata.has('model.label_descriptions')) expect(await page.locator('#meanings').textContent()).toContain(`${model.labels[0]}: `);

      const text = 'WIN a FREE prize now, click here to claim your cash';
      await page.fill('#input', text);
      await page.click('#predict');
      await page.waitForSelector('#answer .bar, #answer .error');
      expect(await page.locator('#answer .error').allTextContents()).toEqual([]);
      const bars = await page.locator('#answer .bar').evaluateAll((rows) =>
        rows.map((r) => ({ label: r.querySelector('.name')!.textContent, score: Number(r.querySelector('.score')!.textContent), top: r.classList.contains('top') })),
      );
      const want = model.predictText(text);
      expect(bars.map((b) => b.label)).toEqual([...model.labels]);
      bars.forEach((b, i) => expect(b.score).toBeCloseTo(want[i], 4));
      expect(bars.find((b) => b.top)!.label).toBe(model.labels[model.argmax(want)]);
      expect(await page.locator('#answer').textContent()).toMatch(/[\d,]+ instructions\. As a query it is free today/);

      await page.check('#verified');
      await page.click('#predict');
      await page.waitForSelector('#answer >> text=/verified by the subnet/');
      expect(await page.locator('#answer').textContent()).toMatch(/Verified \(update\) answered in \d+ ms; the last query took \d+ ms/);

      mkdirSync(OUTPUT, { recursive: true });
      await page.screenshot({ path: `${OUTPUT}/page.png`, fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
