// npm start end to end: the real script in a child process, a prediction over HTTP, a clean Ctrl-C.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Actor, CanisterStatus, HttpAgent } from '@dfinity/agent';
import { Principal } from '@dfinity/principal';
import { describe, expect, it } from 'vitest';
import { idlFactory, type DecentAIService } from '../canister/types.ts';
import { convertFiles } from '../converter/files.ts';
import { sharedSpamModel } from '../scripts/lib/models.ts';

describe('npm start', () => {
  it('serves predictions from the canister and stops cleanly on SIGINT', async () => {
    const tsx = resolve('node_modules/.bin/tsx');
    const state = mkdtempSync(join(tmpdir(), 'decentai-start-'));
    const child = spawn(tsx, ['scripts/start.ts', '--port', '0', '--quiet', '--state', state, '--model', 'extra=models/default/model.json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PORT: undefined },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const port = await new Promise<number>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`no ready line:\n${out}`)), 240_000);
      child.stdout.on('data', () => {
        const m = /ready .* on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m && out.includes('Ctrl-C to stop')) {
          clearTimeout(timer);
          ok(Number(m[1]));
        }
      });
      child.on('exit', (code) => fail(new Error(`exited with ${code}:\n${out}`)));
    });
    // The ready line names the wasm's sha256, and the canister repeats it (the module hash it was installed from).
    const moduleHash = /^decentAI ready .* canister wasm sha256 ([0-9a-f]{64})\)$/m.exec(out)?.[1];
    expect(moduleHash).toBeDefined();
    const { readFileSync } = await import('node:fs');
    expect(moduleHash).toBe(createHash('sha256').update(readFileSync('.azle/decentai/decentai.wasm')).digest('hex'));
    expect(await (await fetch(`http://127.0.0.1:${port}/api`)).json()).toMatchObject({ service: 'decentai', module_hash: moduleHash });
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('<script src="/page.js" defer></script>');
    // The ready line's example (the README's) names the default model, served with or without ../shared.
    expect(out).toMatch(/curl -s -X POST localhost:\d+\/models\/default\/predict -d '\{"text":"check out my channel"\}'/);
    if (!sharedSpamModel()) expect(out).toMatch(/spam-detection is absent: serving the default model only/);
    const res = await fetch(`http://127.0.0.1:${port}/models/default/predict`, { method: 'POST', body: '{"text":"check out my channel"}' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { model: string; predictions: { label: string }[] };
    expect(body.model).toBe('default');
    expect(body.predictions).toHaveLength(1);
    const list = (await (await fetch(`http://127.0.0.1:${port}/models`)).json()) as { module_hash: string; models: { name: string; sha256: string }[] };
    expect(list.module_hash).toBe(moduleHash);
    const extra = list.models.find((m) => m.name === 'extra');
    expect(extra).toBeDefined();
    // The replica API on the same port: the printed canister id answers the real agent.
    const canisterId = /canister id: (\S+)/.exec(out)?.[1] ?? '';
    expect(out).toContain(`identity PEM: ${join(state, 'identity.pem')}`);
    const agent = await HttpAgent.create({ host: `http://127.0.0.1:${port}`, shouldFetchRootKey: true });
    const actor = Actor.createActor<DecentAIService>(idlFactory as never, { agent, canisterId });
    expect((await actor.list_models()).map((m) => m.name)).toContain('extra');
    // The README's verification, step 2 (the agent's read_state): the certified module hash is the ready line's.
    expect((await CanisterStatus.request({ agent, canisterId: Principal.fromText(canisterId), paths: ['module_hash'] })).get('module_hash')).toBe(moduleHash);
    expect(extra!.sha256).toBe(createHash('sha256').update(convertFiles('models/default/model.json', { name: 'extra' }).bytes).digest('hex'));
    const code = await new Promise<number | null>((ok) => {
      child.on('exit', (c) => ok(c));
      child.kill('SIGINT');
    });
    expect(code).toBe(0);
    rmSync(state, { recursive: true, force: true });
  }, 300_000);
});
