// The web page at GET /: its routes through the real canister wasm on the host, and
// the page itself in a real Chromium (Debian's /usr/bin/chromium through playwright-core),
// served the way npm start serves it (scripts/lib/gateway.ts over node:http): a text model,
// a small CNN made here (numbers pasted, a digit drawn), a zoo image model where ../shared is,
// and an embedding model with a collection (m2v, where ../shared is).

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { crc32, deflateSync, gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAzleCanister, createActor, DEFAULT_CONTROLLER, Host, lastCall } from '../host/index.ts';
import { idlFactory, type DecentAIService } from '../canister/types.ts';
import { uploadModel } from '../client/upload.ts';
import { loadModel, type Model } from '../engine/index.ts';
import { defaultModel, sharedSpamModel } from '../scripts/lib/models.ts';
import { callHttp, gatewayHandler } from '../scripts/lib/gateway.ts';
import { PAGE_PRICES } from '../canister/page-source.ts';
import { PAGE_GENERATED, pageSources, readPageGenerated } from '../host/page-build.ts';
import * as cycles from '../bench/lib/cycles.ts';
import { convertTfjsModel } from './tfjs-fixtures.ts';
import { convertStaticEmbedding } from '../converter/static-embedding.ts';
import { convertModel } from '../converter/convert.ts';
import type { StaticEmbeddingModel } from '../engine/embedding-model.ts';
import type { Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
/** Gitignored: screenshots and whatever else a test leaves for people to look at. */
const OUTPUT = 'test-output';

const M2V = '../shared/models/m2v-bge-base-64d-vq128';
const ZOO_MNIST = '../shared/zoo/AlexTrinityBlock__Tensorflow-opencv-webcam-mnist__models';
const hasM2v = existsSync(`${M2V}/model.safetensors`);
const hasZoo = existsSync(`${ZOO_MNIST}/model.json`);
if (!hasM2v) console.warn(`page embedding/search test skipped: ${M2V} not found`);
if (!hasZoo) console.warn(`page zoo image test skipped: ${ZOO_MNIST} not found`);

let actor: DecentAIService;
let model: Model;
let name: string;
/** The small CNN made here ([12,12,1] → 3 labels) and the zoo's MNIST model ([28,28,1] → 10), as the canister holds them. */
let cnn: Model;
let zoo: Model | undefined;
let m2v: StaticEmbeddingModel | undefined;
let sources: Awaited<ReturnType<typeof pageSources>>;
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
  // A small CNN: [12,12,1] → conv → pool → dense(3), seeded weights.
  tf.setBackend('cpu');
  const net = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [12, 12, 1], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
    ],
  });
  const cnnBytes = await convertTfjsModel(net, { labelsText: 'round\nstraight\nempty\n' });
  cnn = loadModel(cnnBytes);
  await uploadModel(admin, 'cnn', cnnBytes);
  if (hasZoo) {
    const bytes = convertModel({ modelJson: JSON.parse(readFileSync(`${ZOO_MNIST}/model.json`, 'utf8')), readWeightFile: (p) => readFileSync(`${ZOO_MNIST}/${p}`) }).bytes;
    zoo = loadModel(bytes);
    await uploadModel(admin, 'mnist', bytes);
  }
  if (hasM2v) {
    const bytes = convertStaticEmbedding(M2V, { quantize: 'int8' }).bytes;
    m2v = loadModel(bytes) as unknown as StaticEmbeddingModel;
    await uploadModel(admin, 'm2v', bytes);
    const made = await admin.create_collection('notes', 'm2v');
    if ('err' in made) throw new Error(made.err.message);
    const texts = ['the cat sat on the mat', 'a dog ran in the park', 'stock prices fell sharply today', 'a recipe for apple pie', 'the kitten chased a ball of yarn'];
    const added = await admin.add_items('notes', texts.map((t, i) => ({ id: `n${i}`, text: [t] as [string], vector: [] as [], metadata: i === 0 ? (['{"tag":"pets"}'] as [string]) : ([] as []) })));
    if ('err' in added) throw new Error(added.err.message);
  }
  sources = await pageSources();
  server = createServer(gatewayHandler(actor));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
});

describe('the page from the canister', () => {
  it('serves GET /, /page.css, /page.js and /favicon.svg gzipped, static, small and cheap', async () => {
    let served = 0;
    for (const [path, type, text] of [
      ['/', 'text/html; charset=utf-8', sources.html],
      ['/page.css', 'text/css; charset=utf-8', sources.css],
      ['/page.js', 'text/javascript; charset=utf-8', sources.js],
      ['/favicon.svg', 'image/svg+xml', sources.svg],
    ]) {
      const r = await call('GET', path, [['accept', 'text/html'], ['accept-encoding', 'gzip']]);
      expect(r.status).toBe(200);
      expect(header(r.headers, 'content-type')).toBe(type);
      expect(header(r.headers, 'content-encoding')).toBe('gzip');
      expect(header(r.headers, 'content-security-policy')).toMatch(/default-src 'self'/);
      expect(gunzipSync(r.body).toString('latin1')).toBe(text);
      const again = await call('GET', path);
      expect(again.body).toEqual(r.body); // static: the same bytes every time (certifiable)
      const instructions = lastCall(actor as never)!.instructions;
      console.log(`page ${path}: ${r.body.length} bytes gzip (${text.length} uncompressed), ${instructions} instructions to serve`);
      expect(instructions).toBeLessThan(3_000_000);
      served += r.body.length;
    }
    console.log(`page: ${served} bytes gzip in all`);
    expect(/[^\x00-\x7f]/.test(Object.values(sources).join(''))).toBe(false);
    expect(served).toBeLessThan(12 * 1024);
    expect((await call('POST', '/', [], '{}')).status).toBe(405);
  });

  it('canister/page.generated.ts holds the page as page-source.ts writes it (npm run build:canister rewrites it)', () => {
    const held = readPageGenerated(readFileSync(PAGE_GENERATED, 'utf8'));
    expect(held).toEqual(sources);
  });

  it("prices with the bench's constants: one source (canister/cycles.ts), written into the script", () => {
    expect(PAGE_PRICES).toEqual({
      base: cycles.UPDATE_BASE_FEE_13,
      perInstruction: cycles.CYCLES_PER_INSTRUCTION_13,
      ingress: cycles.INGRESS_MESSAGE_FEE_13,
      perByte: cycles.INGRESS_BYTE_FEE_13,
      nodes: 13,
      largeNodes: Math.round(13 * cycles.SUBNET_34_SCALE),
    });
    const written = /=(\{base:[^}]*\})/.exec(sources.js); // minified: the name is gone, the object stays
    expect(written).not.toBeNull();
    expect(new Function(`return ${written![1]}`)()).toEqual(PAGE_PRICES);
    expect(cycles.priceConstants()).toMatchObject({ updateBaseFee13: PAGE_PRICES.base, ingressByteFee13: PAGE_PRICES.perByte });
  });

  it('keeps the JSON endpoint list at /api', async () => {
    const r = await call('GET', '/api');
    expect(r.status).toBe(200);
    expect(header(r.headers, 'content-type')).toBe('application/json');
    const body = JSON.parse(new TextDecoder().decode(r.body));
    expect(body.service).toBe('decentai');
    expect(body.endpoints).toContain('POST /models/{name}/predict');
    expect(body.endpoints).toContain('POST /models/{name}/embed');
    expect(body.endpoints).toContain('POST /collections/{c}/search');
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

/** The cycles the page states agree with bench/lib/cycles.ts for the instructions it states (and its request's bytes). */
function expectCycles(said: string, requestText?: string): void {
  const m = /^([\d,]+) instructions\..*?(?:would cost|subnet:) ([\d,]+) cycles .*?plus ([\d,]+) for receiving its ([\d,]+)-byte request.*?; ([\d,]+) in all on a 34-node subnet/.exec(said);
  expect(m, said).not.toBeNull();
  const n = (s: string) => Number(s.replace(/,/g, ''));
  const [instructions, exec, ingress, bytes, all34] = m!.slice(1).map(n);
  expect(exec).toBe(cycles.updateExecutionCycles13(instructions));
  expect(ingress).toBe(cycles.ingressCycles13(bytes));
  expect(all34).toBe(cycles.scaleTo34Nodes(exec + ingress));
  if (requestText !== undefined) expect(bytes).toBe(Buffer.byteLength(JSON.stringify({ text: requestText })));
}

/** The bars of #answer (or another box): label, score, whether it is the top one. */
async function bars(page: Page, box = '#answer') {
  return page.locator(`${box} .bar`).evaluateAll((rows) =>
    rows.map((r) => ({ label: r.querySelector('.name')!.textContent!, score: Number(r.querySelector('.score')!.textContent), top: r.classList.contains('top') })),
  );
}

async function withPage(run: (page: Page, errors: string[]) => Promise<void>, shot: string): Promise<void> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${base}/`);
    await page.waitForSelector('#models .hash');
    await run(page, errors);
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: `${OUTPUT}/${shot}.png`, fullPage: true });
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
  }
}

/** Predicts with what the page sends and checks the bars against the engine on the same numbers. */
async function predictAndCompare(page: Page, m: Model): Promise<Float32Array> {
  const sent = page.waitForRequest((r) => r.url().includes('/predict') && r.method() === 'POST');
  await page.click('#predict');
  const request = await sent;
  await page.waitForSelector('#answer .bar, #answer .error');
  expect(await page.locator('#answer .error').allTextContents()).toEqual([]);
  const raw = request.postDataBuffer()!;
  const input = request.headers()['content-type'] === 'application/octet-stream'
    ? new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length))
    : Float32Array.from((JSON.parse(raw.toString()) as { input: number[] }).input);
  expect(input.length).toBe(m.inputShape.reduce((a, b) => a * b, 1));
  const want = m.predictVector(input);
  const shown = await bars(page);
  expect(shown.map((b) => b.label)).toEqual([...m.labels]);
  shown.forEach((b, i) => expect(b.score).toBeCloseTo(want[i], 4));
  expect(shown.find((b) => b.top)!.label).toBe(m.labels[m.argmax(want)]);
  expectCycles((await page.locator('#answer .cost').first().textContent())!);
  // The cost is worded by how it was answered (a model too heavy for a query is answered by an update, unasked).
  const all = (await page.locator('#answer').textContent())!;
  expect(all).toMatch(/verified by the subnet/.test(all) ? /As a verified update[^]*Verified \(update\) answered/ : /As a query it is free today[^]*Query answered/);
  return input;
}

/** A w×h RGB PNG (no library: IHDR, one deflated IDAT, IEND), for the page's upload button. */
function png(w: number, h: number, pixel: (x: number, y: number) => [number, number, number]): Buffer {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set(pixel(x, y), y * (w * 3 + 1) + 1 + x * 3);
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bits per sample
  ihdr[9] = 2; // RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** Draws a stroke on the page's canvas through the mouse (pointer events), as a person would. */
async function drawStroke(page: Page, points: [number, number][]): Promise<void> {
  const box = (await page.locator('#draw').boundingBox())!;
  const at = ([x, y]: [number, number]) => [box.x + x * box.width, box.y + y * box.height] as const;
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 4 });
  await page.mouse.up();
}

describe('the page in a real browser', () => {
  const found = existsSync(CHROMIUM);
  if (!found) console.warn(`page browser test skipped: no ${CHROMIUM} (apt-get install chromium)`);
  it.skipIf(!found)('lists the models, predicts a typed text as bars, and a verified one', async () => {
    await withPage(async (page) => {
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
      const shown = await bars(page);
      const want = model.predictText(text);
      expect(shown.map((b) => b.label)).toEqual([...model.labels]);
      shown.forEach((b, i) => expect(b.score).toBeCloseTo(want[i], 4));
      expect(shown.find((b) => b.top)!.label).toBe(model.labels[model.argmax(want)]);
      const said = (await page.locator('#answer').textContent())!;
      expect(said).toMatch(/[\d,]+ instructions\. As a query it is free today/);
      expectCycles((await page.locator('#answer .cost').first().textContent())!, text);

      await page.check('#verified');
      await page.click('#predict');
      await page.waitForSelector('#answer >> text=/verified by the subnet/');
      expect(await page.locator('#answer').textContent()).toMatch(/Verified \(update\) answered in \d+ ms; the last query took \d+ ms/);
    }, 'page');
  });

  it.skipIf(!found)('a CNN: the shape shown and checked for pasted numbers, a digit drawn and scaled to [12,12,1], bars as the engine', async () => {
    await withPage(async (page) => {
      await page.selectOption('#model', 'cnn');
      expect(await page.locator('label[for=input]').textContent()).toContain('shape [12, 12, 1], 144 values');
      expect(await page.locator('#image').isVisible()).toBe(true);
      // Numbers: one short is refused before asking, naming the shape; the full count predicts.
      const values = Array.from({ length: 144 }, (_, i) => ((i * 37) % 11) / 10);
      await page.fill('#input', values.slice(0, 143).join(', '));
      expect(await page.locator('#check').textContent()).toBe('input: 143 of 144 numbers.');
      await page.click('#predict');
      expect(await page.locator('#answer .error').textContent()).toBe('input: 143 numbers given; the model takes shape [12, 12, 1], 144 values');
      await page.fill('#input', JSON.stringify(values));
      expect(await page.locator('#check').textContent()).toBe('input: 144 of 144 numbers, shape [12, 12, 1] complete.');
      const sent = await predictAndCompare(page, cnn);
      sent.forEach((x, i) => expect(x).toBeCloseTo(values[i], 6));
      // A drawn ring: the canvas scaled to 12x12, sent as float32 with ?shape=12,12,1.
      const ring = Array.from({ length: 25 }, (_, i) => [0.5 + 0.3 * Math.cos((i / 24) * 2 * Math.PI), 0.5 + 0.3 * Math.sin((i / 24) * 2 * Math.PI)] as [number, number]);
      await drawStroke(page, ring);
      expect(await page.locator('#check').textContent()).toMatch(/^Input: the image, scaled to \[12, 12, 1\] \(144 values, 0 to 1\)\.$/);
      const drawn = await predictAndCompare(page, cnn);
      expect(Math.max(...drawn)).toBeGreaterThan(0.5); // the stroke is there
      expect(drawn[0]).toBe(0); // the corner is not
      expect(Math.min(...drawn)).toBeGreaterThanOrEqual(0);
      // An uploaded picture (a white square on black, 24x24): scaled to 12x12, the square is where it was.
      await page.fill('#input', '');
      await page.click('#clear');
      expect(await page.locator('#check').textContent()).toBe('input: 0 of 144 numbers.');
      const square = png(24, 24, (x, y) => (x >= 6 && x < 18 && y >= 6 && y < 18 ? [255, 255, 255] : [0, 0, 0]));
      await page.setInputFiles('#upload', { name: 'square.png', mimeType: 'image/png', buffer: square });
      await page.waitForSelector('#check >> text=/^Input: the image/');
      const uploaded = await predictAndCompare(page, cnn);
      expect(uploaded[6 * 12 + 6]).toBeGreaterThan(0.95); // inside the square
      expect(uploaded[1 * 12 + 1]).toBeLessThan(0.05); // outside it
      // Verified: the same numbers through an update.
      await page.check('#verified');
      await predictAndCompare(page, cnn);
      expect(await page.locator('#answer').textContent()).toMatch(/As a verified update on a 13-node subnet/);
    }, 'page-cnn');
  });

  it.skipIf(!found || !hasZoo)('a zoo MNIST model: a drawn 7 scaled to [28,28,1] answers as the engine, and the invert switch flips the input', async () => {
    await withPage(async (page) => {
      await page.selectOption('#model', 'mnist');
      await drawStroke(page, [[0.25, 0.2], [0.75, 0.2], [0.45, 0.85]]);
      const seven = await predictAndCompare(page, zoo!);
      console.log(`page: zoo mnist, a drawn 7 → ${zoo!.labels[zoo!.argmax(zoo!.predictVector(seven))]}`);
      await page.check('#invert');
      const inverted = await predictAndCompare(page, zoo!);
      inverted.forEach((x, i) => expect(x).toBeCloseTo(1 - seven[i], 5));
    }, 'page-mnist');
  });

  it.skipIf(!found || !hasM2v)('an embedding model: the embed box shows the vector (dims, the engine numbers, cost) and the search box the top-k items with scores', async () => {
    await withPage(async (page) => {
      await page.waitForSelector('#search-section:not([hidden])');
      const row = page.locator('#models tbody tr', { hasText: 'm2v' }).locator('td');
      expect(await row.nth(2).textContent()).toBe('embedding, 64 dims');
      await page.selectOption('#model', 'm2v');
      expect(await page.locator('#predict').textContent()).toBe('Embed');
      expect(await page.locator('#meanings').textContent()).toContain('a vector of 64 numbers');
      const text = 'a cat on a mat';
      await page.fill('#input', text);
      await page.click('#predict');
      await page.waitForSelector('#vector, #answer .error');
      expect(await page.locator('#answer .error').allTextContents()).toEqual([]);
      const said = (await page.locator('#answer').textContent())!;
      expect(said).toMatch(/^64 dims, length 1\.0000/);
      expectCycles((await page.locator('#answer .cost').first().textContent())!, text);
      const shown = JSON.parse(await page.locator('#vector').inputValue()) as number[];
      const want = m2v!.embed(text);
      expect(shown.length).toBe(64);
      shown.forEach((x, i) => expect(x).toBeCloseTo(want[i], 6));
      expect(await page.locator('#answer .vector span').count()).toBe(64);
      // Search: the collection bound to m2v is chosen; hits as the canister's Candid search answers them.
      expect(await page.locator('#collection').inputValue()).toBe('notes');
      expect(await page.locator('#collection option').first().textContent()).toBe('notes (m2v, 64 dims, 5 items)');
      await page.fill('#query', text);
      await page.fill('#k', '3');
      await page.click('#search-button');
      await page.waitForSelector('#hits .bar, #hits .error');
      expect(await page.locator('#hits .error').allTextContents()).toEqual([]);
      const hits = await bars(page, '#hits');
      const direct = await actor.search('notes', { text: [text], vector: [], k: 3 });
      if ('err' in direct) throw new Error(direct.err.message);
      expect(hits.map((h) => h.label)).toEqual(direct.ok.hits.map((h) => h.id));
      hits.forEach((h, i) => expect(h.score).toBeCloseTo(direct.ok.hits[i].score, 4));
      expect(hits[0].top).toBe(true);
      const hitsText = (await page.locator('#hits').textContent())!;
      expect(hitsText).toContain('the cat sat on the mat  {"tag":"pets"}');
      expectCycles((await page.locator('#hits .cost').first().textContent())!);
    }, 'page-embed');
  });
});
