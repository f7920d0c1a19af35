// canister_inspect_message (issue 10): the host runs it for ingress update calls as the replica
// does (interface spec, "Ingress message inspection"), and the canister refuses there a
// non-controller's admin call and an argument over its method's bound, before execution,
// for ~0.1M instructions. The methods keep their own checks (calls without inspection, as from
// another canister, still answer `forbidden`).

import { IDL } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';
import { beforeAll, describe, expect, it } from 'vitest';
import { INSPECT_RULES, inspectRefusal } from '../canister/inspect.ts';
import { idlFactory } from '../canister/types.ts';
import { buildAzleCanister, DEFAULT_CONTROLLER, Host, type Canister } from '../host/index.ts';

const service = idlFactory({ IDL }) as unknown as { _fields: [string, IDL.FuncClass][] };
const argTypes = (method: string) => service._fields.find(([n]) => n === method)![1].argTypes;
const encode = (method: string, args: unknown[]) => new Uint8Array(IDL.encode(argTypes(method), args));

const STRANGER = Principal.selfAuthenticating(new Uint8Array(32).fill(7));
const SHA = '00'.repeat(32);

/** One small, valid argument for each admin method. */
const ADMIN_CALLS: [string, unknown[]][] = [
  ['begin_upload', ['m', 10n, SHA]],
  ['append_chunk', [1, 0n, new Uint8Array(16)]],
  ['upload_status', [1]],
  ['commit_upload', [1]],
  ['abort_upload', [1]],
  ['activate', ['m', 1]],
  ['delete_model', ['m', []]],
  ['set_build_budget', [[]]],
  ['create_collection', ['c', 'm']],
  ['drop_collection', ['c']],
  ['add_items', ['c', []]],
  ['delete_items', ['c', ['a']]],
];

let canister: Canister;

beforeAll(async () => {
  const { wasm } = await buildAzleCanister('decentai');
  const host = await Host.create();
  canister = await host.install(wasm);
}, 300_000);

describe('canister_inspect_message rules (canister/inspect.ts)', () => {
  it('lists every admin method of the interface, and only methods that exist', () => {
    const names = new Set(service._fields.map(([n]) => n));
    const ruled = [...INSPECT_RULES.matchAll(/ (\w+):(\d+)(!?)/g)];
    for (const [, name] of ruled) expect(names.has(name)).toBe(true);
    expect(ruled.filter((m) => m[3] === '!').map((m) => m[1]).sort()).toEqual(ADMIN_CALLS.map(([m]) => m).sort());
    expect(inspectRefusal('begin_upload', 10, () => true)).toBe('');
    expect(inspectRefusal('begin_upload', 10, () => false)).toMatch(/^forbidden: /);
    expect(inspectRefusal('begin_upload', 4097, () => true)).toMatch(/^too_large: .*4097 bytes, over its bound of 4096/);
    expect(inspectRefusal('predict_update', 2 * 1024 * 1024, () => false)).toBe('');
    // a method name that contains another's is not confused with it
    expect(inspectRefusal('http_request', 1_114_113, () => false)).toMatch(/over its bound of 1114112/);
    expect(inspectRefusal('request', 10_000_000, () => false)).toBe('');
  });
});

describe('canister_inspect_message on the host', () => {
  it("refuses a stranger's call of every admin method before execution, saying why, in ~0.1M instructions", async () => {
    const version = canister.canisterVersion;
    for (const [method, args] of ADMIN_CALLS) {
      for (const caller of [Principal.anonymous(), STRANGER]) {
        const r = await canister.update(method, encode(method, args), { caller, inspect: true });
        expect(r).toMatchObject({ status: 'rejected', inspectRefused: true, rejectCode: 5, errorCode: 'IC0503' });
        expect(r.rejectMessage).toContain(`forbidden: only a controller of the canister may call ${method} (refused by canister_inspect_message)`);
        expect(r.instructions).toBeLessThan(300_000n);
      }
    }
    // nothing ran: no update executed, the canister's version is unchanged
    expect(canister.canisterVersion).toBe(version);
    const last = canister.messageLog[canister.messageLog.length - 1];
    expect(last.kind).toBe('inspect');
    console.log(`inspect_message: a stranger's begin_upload refused in ${canister.inspect('begin_upload', encode('begin_upload', ['m', 10n, SHA]), { caller: STRANGER }).instructions} instructions`);
  });

  it('accepts controllers, and public methods from anyone, then runs them; the in-method checks stay', async () => {
    const accepted = canister.inspect('begin_upload', encode('begin_upload', ['m', 10n, SHA]), { caller: DEFAULT_CONTROLLER });
    expect(accepted).toMatchObject({ accepted: true });
    expect(accepted.instructions).toBeLessThan(300_000n);
    const r = await canister.update('begin_upload', encode('begin_upload', ['m', 10n, SHA]), { caller: DEFAULT_CONTROLLER, inspect: true });
    expect(r.status).toBe('replied');
    const reply = IDL.decode(service._fields.find(([n]) => n === 'begin_upload')![1].retTypes, r.reply!)[0] as { ok?: { name: string } };
    expect(reply.ok?.name).toBe('m');
    expect(canister.inspect('verify', encode('verify', ['m', 1]), { caller: STRANGER }).accepted).toBe(true);
    // without inspection (an inter-canister call, or a test of the method) the method refuses by itself
    const direct = await canister.update('begin_upload', encode('begin_upload', ['evil', 10n, SHA]), { caller: STRANGER });
    const err = IDL.decode(service._fields.find(([n]) => n === 'begin_upload')![1].retTypes, direct.reply!)[0] as { err?: { code: string } };
    expect(err.err?.code).toBe('forbidden');
  });

  it("refuses an argument over its method's bound, from anyone; a 2 MiB prediction is accepted for ~2M instructions", async () => {
    const big = encode('verify', ['x'.repeat(5000), 1]);
    for (const caller of [STRANGER, DEFAULT_CONTROLLER]) {
      const r = canister.inspect('verify', big, { caller });
      expect(r.accepted).toBe(false);
      expect(r.rejectMessage).toContain(`too_large: the argument of verify is ${big.length} bytes, over its bound of 4096 (refused by canister_inspect_message)`);
      expect(r.instructions).toBeLessThan(300_000n);
    }
    const chunk = encode('append_chunk', [1, 0n, new Uint8Array(1024 * 1024 + 4096)]);
    expect(canister.inspect('append_chunk', chunk, { caller: DEFAULT_CONTROLLER }).rejectMessage).toMatch(/too_large: the argument of append_chunk/);
    const fullChunk = encode('append_chunk', [1, 0n, new Uint8Array(1024 * 1024)]);
    expect(canister.inspect('append_chunk', fullChunk, { caller: DEFAULT_CONTROLLER }).accepted).toBe(true);
    const predict = encode('predict_update', ['m', { tensor: { name: [], shape: [], data: { float32_le: new Uint8Array(2 * 1024 * 1024 - 200) } } }]);
    const r = canister.inspect('predict_update', predict, { caller: STRANGER });
    expect(r.accepted).toBe(true);
    expect(r.instructions).toBeLessThan(5_000_000n);
    console.log(`inspect_message: a ${predict.length}-byte predict_update accepted in ${r.instructions} instructions`);
  });

  it('is run for ingress updates only: queries and calls without inspection are not inspected', async () => {
    const before = canister.messageLog.filter((m) => m.kind === 'inspect').length;
    await canister.query('list_uploads', encode('list_uploads', []), { caller: STRANGER });
    await canister.update('list_models', encode('list_models', []), { caller: STRANGER });
    expect(canister.messageLog.filter((m) => m.kind === 'inspect').length).toBe(before);
    await canister.update('list_models', encode('list_models', []), { caller: STRANGER, inspect: true });
    expect(canister.messageLog.filter((m) => m.kind === 'inspect').length).toBe(before + 1);
  });
});
