// Renders one run as markdown (stdout and bench/results.md) and JSON (bench/results.json).
import { callCycles } from './cycles.ts';
import { formatInstructions, formatInteger, markdownTable } from './format.ts';
import type { BenchResults, CallMeasurement, Section, TargetResult } from './results.ts';

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
  return [header, renderTargets(results.targets), ...results.sections.map(renderSection)].join('\n\n') + '\n';
}

/** JSON with every figure, each call priced. */
export function renderJson(results: BenchResults): string {
  const sections = results.sections.map((section) => ({
    ...section,
    calls: section.calls.map((call) => ({ ...call, cycles: callCycles(call.kind, call.instructions) })),
  }));
  return JSON.stringify({ ...results, sections }, null, 2) + '\n';
}
