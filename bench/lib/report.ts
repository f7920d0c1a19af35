// Renders one run as markdown (stdout and bench/results.md) and JSON (bench/results.json).
import { callCycles, INGRESS_BYTE_FEE_13, INGRESS_MESSAGE_FEE_13, UPDATE_BASE_FEE_13, updateExecutionCycles13 } from './cycles.ts';
import { formatInstructions, formatInteger, formatRatio, markdownTable } from './format.ts';
import type { BenchResults, CallMeasurement, Section, TargetResult } from './results.ts';
import { collectFigures } from './targets.ts';

const CALL_HEADERS = [
  'case',
  'kind',
  'whole message (instr.)',
  'in method (instr.)',
  'cycles, 13 nodes',
  'cycles, 34 nodes',
  'note',
];

function cyclesCell(call: CallMeasurement, charged: number, updateEquivalent: number): string {
  return call.kind === 'query' ? `0 (as update: ${formatInteger(updateEquivalent)})` : formatInteger(charged);
}

export function callRows(calls: readonly CallMeasurement[]): string[][] {
  return calls.map((call) => {
    const cycles = callCycles(call.kind, call.instructions);
    return [
      call.label,
      call.kind,
      formatInstructions(call.instructions),
      formatInstructions(call.methodInstructions),
      cyclesCell(call, cycles.charged13, cycles.updateEquivalent13),
      cyclesCell(call, cycles.charged34, cycles.updateEquivalent34),
      call.note ?? '',
    ];
  });
}

function renderSection(section: Section): string {
  const parts = [`## ${section.title}`];
  if (section.description) parts.push(section.description);
  if (section.calls.length > 0) parts.push(markdownTable(CALL_HEADERS, callRows(section.calls)));
  for (const table of section.tables) parts.push(markdownTable(table.headers, table.rows));
  for (const reason of section.skipped) parts.push(`- skipped: ${reason}`);
  return parts.join('\n\n');
}

export function renderTargets(targets: readonly TargetResult[]): string {
  const lines = targets.map((t) => {
    const detail = t.detail ? ` — ${t.detail}` : '';
    return `- ${t.statement}: measured ${t.measuredText} — **${t.status}**${detail}`;
  });
  return ['## Targets', ...lines].join('\n');
}

export function renderMarkdown(results: BenchResults): string {
  const versions = Object.entries(results.versions)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  const prices = Object.entries(results.prices)
    .map(([name, value]) => `${name} = ${typeof value === 'number' ? formatInteger(value) : value}`)
    .join('; ');
  const models = Object.entries(results.models)
    .map(([name, where]) => `${name}: ${where}`)
    .join('; ');
  const header = [
    `# decentAI bench${results.quick ? ' (--quick)' : ''}`,
    [
      `- date: ${results.date} (run took ${results.durationSeconds.toFixed(0)} s)`,
      `- machine: ${results.machine.cpu}, ${results.machine.cores} cores, ${results.machine.memoryGiB} GiB, ${results.machine.os}`,
      `- versions: ${versions}`,
      `- host: ${results.host}`,
      `- models: ${models}`,
      `- prices: ${prices}`,
      '- "whole message" is what the host meters for the message (what the IC charges); "in method" is the',
      '  performance counter read inside the method. Queries are free today: their cycles columns give the',
      '  price the same message would have as an update. Instruction figures: M = million, B = billion.',
    ].join('\n'),
  ].join('\n\n');
  return [header, renderInShort(results.sections), renderTargets(results.targets), ...results.sections.map(renderSection)].join('\n\n') + '\n';
}

/** Trillions of cycles, e.g. "5.56 trillion". */
function trillions(cycles: number): string {
  return `${(cycles / 1e12).toFixed(cycles < 1e13 ? 2 : 1)} trillion`;
}

/**
 * The plain summary a newcomer reads first: what one prediction costs in instructions and
 * cycles, against TF.js in a canister, and what a million cost. From this run's figures.
 */
export function renderInShort(sections: readonly Section[]): string {
  const figures = collectFigures(sections);
  const model = figures.has('spam.candid.predict_short') ? 'spam' : 'default';
  const ours = figures.get(`${model}.candid.predict_short`);
  const tfjs = figures.get('tfjs.predict');
  if (ours === undefined) return '## In short\n\n- not measured in this run (no Candid predict figure)';
  const asUpdate = updateExecutionCycles13(ours);
  const modelName = model === 'spam' ? 'the spam-detection model' : 'the default model';
  const lines = [
    `- **One prediction costs ${formatInstructions(ours)} instructions** (a short text, ${modelName}, a Candid query, the whole message as the IC meters it).`,
    `- In cycles: a query is free today. As a verified update on a 13-node subnet it costs ${formatInteger(UPDATE_BASE_FEE_13)} (the fee every update pays) + 1 per instruction = **${formatInteger(asUpdate)} cycles**, plus ${formatInteger(INGRESS_MESSAGE_FEE_13)} + ${formatInteger(INGRESS_BYTE_FEE_13)} per byte to receive the request from outside.`,
    tfjs === undefined
      ? '- TF.js in a canister: not measured in this run.'
      : `- That is **${formatRatio(tfjs / ours)} fewer instructions than TF.js running in a canister** on the same model (${formatInstructions(tfjs)} per prediction, bench/tfjs-baseline).`,
    `- **A million predictions**: free as queries; as verified updates about ${trillions(asUpdate * 1e6)} cycles for execution (1 trillion cycles is pinned to 1 XDR, about 1.3 US dollars), plus the ingress fee of each request. On a 34-node subnet, 34/13 of that.`,
    '- The targets follow, then every measurement in detail.',
  ];
  return ['## In short', lines.join('\n')].join('\n\n');
}

/** JSON with every figure, each call priced. */
export function renderJson(results: BenchResults): string {
  const sections = results.sections.map((section) => ({
    ...section,
    calls: section.calls.map((call) => ({ ...call, cycles: callCycles(call.kind, call.instructions) })),
  }));
  return JSON.stringify({ ...results, sections }, null, 2) + '\n';
}
