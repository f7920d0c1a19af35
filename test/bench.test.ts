// The bench's pure helpers: cycle prices, number formatting, tables and target
// evaluation. No timing assertions: performance targets live in `npm run bench`.
import { describe, expect, it } from 'vitest';

import { callCycles, ingressCycles13, scaleTo34Nodes, updateExecutionCycles13 } from '../bench/lib/cycles.ts';
import { formatInstructions, markdownTable } from '../bench/lib/format.ts';
import { renderMarkdown, renderTargets } from '../bench/lib/report.ts';
import { newSection, type BenchResults } from '../bench/lib/results.ts';
import { collectFigures, evaluateTargets, TARGET_SPECS } from '../bench/lib/targets.ts';

describe('cycles', () => {
  it('prices an update as 5M plus one cycle per instruction on 13 nodes', () => {
    expect(updateExecutionCycles13(0)).toBe(5_000_000);
    expect(updateExecutionCycles13(1_000_000)).toBe(6_000_000);
  });

  it('scales to 34 nodes by 34/13', () => {
    expect(scaleTo34Nodes(13_000_000)).toBe(34_000_000);
    expect(callCycles('update', 8_000_000).charged34).toBe(scaleTo34Nodes(13_000_000));
  });

  it('charges nothing for a query but gives its update equivalent', () => {
    const cycles = callCycles('query', 1_000);
    expect(cycles.charged13).toBe(0);
    expect(cycles.charged34).toBe(0);
    expect(cycles.updateEquivalent13).toBe(5_001_000);
  });

  it('prices ingress at 1.2M plus 2,000 per byte', () => {
    expect(ingressCycles13(100)).toBe(1_400_000);
  });
});

describe('formatting', () => {
  it('writes instruction counts the way the issue does', () => {
    expect(formatInstructions(1_004_000_000)).toBe('1.004B');
    expect(formatInstructions(1_290_000)).toBe('1.29M');
    expect(formatInstructions(12_200_000)).toBe('12.2M');
    expect(formatInstructions(107_000)).toBe('0.107M');
    expect(formatInstructions(950)).toBe('950');
    expect(formatInstructions(undefined)).toBe('—');
  });

  it('renders a markdown table and escapes pipes', () => {
    expect(markdownTable(['a', 'b'], [['1', 'x|y']])).toBe('| a | b |\n| --- | --- |\n| 1 | x\\|y |');
  });
});

describe('targets', () => {
  it('says "not measured" when a figure is missing, never met', () => {
    const results = evaluateTargets([]);
    expect(results).toHaveLength(TARGET_SPECS.length);
    for (const target of results) {
      expect(target.status).toBe('not measured');
      expect(target.statement).toContain('target');
    }
  });

  it('evaluates limits and ratios from calls and figures', () => {
    const spam = newSection('spam', 'spam');
    spam.calls.push({ id: 'spam.candid.predict_short', label: 'p', kind: 'query', instructions: 500_000 });
    spam.calls.push({ id: 'spam.rest.query_100b_same', label: 'r', kind: 'query', instructions: 1_000_000 });
    spam.calls.push({ id: 'spam.rest.query_64k_same', label: 'r', kind: 'query', instructions: 1_300_000 });
    const tfjs = newSection('tfjs', 'tfjs');
    tfjs.calls.push({ id: 'tfjs.predict', label: 't', kind: 'query', instructions: 35_000_000 });
    const size = newSection('size', 'size');
    size.figures.int8_fraction = 0.5;

    expect(collectFigures([spam, tfjs, size]).get('size.int8_fraction')).toBe(0.5);
    const byId = new Map(evaluateTargets([spam, tfjs, size]).map((t) => [t.id, t]));
    expect(byId.get('candid_predict_short')?.status).toBe('met');
    expect(byId.get('body_size')?.status).toBe('missed');
    expect(byId.get('body_size')?.measured).toBeCloseTo(1.3);
    expect(byId.get('vs_tfjs_canister')?.measured).toBe(70);
    expect(byId.get('vs_tfjs_canister')?.status).toBe('met');
    expect(byId.get('int8_size')?.status).toBe('missed');
    expect(renderTargets([byId.get('int8_size')!])).toContain('**missed**');
  });

  it('shows an informational line beside a target, never met or missed', () => {
    const spam = newSection('spam', 'spam');
    spam.calls.push({ id: 'spam.rest.query_100b_full', label: 'r', kind: 'query', instructions: 1_000_000 });
    spam.calls.push({ id: 'spam.rest.query_64k_full', label: 'r', kind: 'query', instructions: 2_000_000 });
    const line = evaluateTargets([spam]).find((t) => t.id === 'body_size_same_words');
    expect(line?.status).toBe('informational');
    expect(line?.measured).toBeCloseTo(2);
  });

  it('measures init against the hello canister', () => {
    const floors = newSection('floors', 'floors');
    floors.calls.push({ id: 'floors.hello_init', label: 'h', kind: 'install', instructions: 1_000_000_000 });
    floors.calls.push({ id: 'floors.init', label: 'f', kind: 'install', instructions: 2_000_000_000 });
    const canister = newSection('canister', 'c');
    canister.calls.push({ id: 'decentai.init', label: 'i', kind: 'install', instructions: 1_040_000_000 });
    const init = evaluateTargets([floors, canister]).find((t) => t.id === 'init');
    expect(init?.measured).toBeCloseTo(1.04);
    expect(init?.status).toBe('met');
  });

  it('puts every target on a line of the report with the word "target"', () => {
    const results: BenchResults = {
      date: '2026-01-01T00:00:00.000Z',
      quick: true,
      durationSeconds: 1,
      machine: { cpu: 'cpu', cores: 1, memoryGiB: 1, os: 'os' },
      versions: { node: '20' },
      host: 'host',
      prices: { updateBaseFee13: 5_000_000 },
      models: { spam: 'absent' },
      sections: [],
      targets: evaluateTargets([]),
    };
    const lines = renderMarkdown(results).split('\n');
    for (const target of results.targets) {
      expect(lines.filter((line) => line.includes(target.statement) && line.includes('not measured'))).toHaveLength(1);
    }
  });
});

describe('the plain summary at the top of results.md', () => {
  it('says what a prediction costs in instructions and cycles, the ratio to TF.js and a million predictions', async () => {
    const { renderInShort } = await import('../bench/lib/report.ts');
    const section = (id: string, calls: { id: string; instructions: number }[]) =>
      ({ id, title: id, description: '', figures: {}, tables: [], skipped: [], calls: calls.map((c) => ({ ...c, label: c.id, kind: 'query' })) }) as never;
    const text = renderInShort([section('spam', [{ id: 'spam.candid.predict_short', instructions: 561_000 }]), section('tfjs', [{ id: 'tfjs.predict', instructions: 37_700_000 }])]);
    expect(text).toMatch(/^## In short\n/);
    expect(text).toContain('One prediction costs 0.561M instructions');
    expect(text).toContain('5,561,000 cycles'); // 5,000,000 + 561,000
    expect(text).toContain('67× fewer instructions than TF.js');
    expect(text).toContain('5.56 trillion cycles'); // a million updates
    expect(renderInShort([])).toContain('not measured');
  });
});

describe('explanations', () => {
  it('writes a sentence only when all its figures were measured', async () => {
    const { targetDetails } = await import('../bench/lib/explain.ts');
    expect(targetDetails(new Map())).toEqual({});
    const details = targetDetails(
      new Map([
        ['decentai.init', 1_030_000_000],
        ['floors.hello_init', 1_000_000_000],
        ['floors.init', 1_070_000_000],
      ]),
    );
    expect(details.init).toContain('+30M');
    expect(details.commit).toBeUndefined();
  });

  it("states body_size's floor from the figures: the per-byte room 1.2× leaves and each native scan measured", async () => {
    const { targetDetails } = await import('../bench/lib/explain.ts');
    const body = new Map([
      ['spam.rest.query_100b_same', 1_600_000],
      ['spam.rest.query_64k_same', 2_300_000],
      ['spam.rest.query_100b_same.method', 900_000],
      ['spam.rest.query_64k_same.method', 1_600_000],
      ['canister.spam_rest_query_100b_same_words', 19],
      ['canister.spam_rest_query_64k_same_words', 19],
      ['canister.spam_word_slots', 19],
      ['profile.msgargdata_per_byte', 2],
      ['profile.json_quote_scan_per_byte', 6.75],
    ]);
    // without the bodyScans figures: the floor line, but no list of alternatives
    expect(targetDetails(body).body_size_floor).not.toContain('Every native way');
    const scans = new Map([...body, ['profile.body_scan_u8_indexof_quote_per_byte', 6.75], ['profile.body_scan_b64_indexof_per_byte', 2.25], ['profile.body_scan_latin1_fromcharcode_per_byte', 224.7]]);
    const floor = targetDetails(scans).body_size_floor;
    // 1.2× of 1.6M over 65,436 more bytes: 320,000 / 65,436 = 4.89 a byte, 2.89 after the copy
    expect(floor).toContain('1.2× allows 4.89 instructions a byte in all; the copy takes 2.00, leaving 2.89');
    expect(floor).toContain('Uint8Array indexOf 6.75');
    expect(floor).toContain('BigUint64Array indexOf 2.25');
    expect(floor).toContain('as a string first, 225 a byte');
    // a figure this run did not measure is shown as unknown, never invented
    expect(floor).toContain('Uint16Array indexOf ?');
  });
});

describe('summary', () => {
  it('sets decentAI beside the floor and TF.js, with the ratio when both are measured', async () => {
    const { summarySection } = await import('../bench/lib/summary.ts');
    const canister = newSection('canister', 'c');
    canister.calls.push({ id: 'spam.candid.predict_short', label: 'p', kind: 'query', instructions: 2_000_000 });
    const tfjs = newSection('tfjs', 't');
    tfjs.calls.push({ id: 'tfjs.predict', label: 't', kind: 'query', instructions: 40_000_000 });
    const rows = summarySection([canister, tfjs], 'spam').tables[0].rows;
    const predictRow = rows.find((row) => row[0].startsWith('predict, short text, Candid query'));
    expect(predictRow).toEqual(['predict, short text, Candid query, spam model', '2M', '—', '40M', '20×']);
    expect(rows.find((row) => row[0] === 'upgrade, nothing stored')?.[4]).toBe('—');
  });
});
