// `npm run bench [-- --quick]`: instructions, cycles, sizes and speed of decentAI side by
// side with the floors and the TF.js baseline, in one run. Progress on stderr, a markdown
// report on stdout, and bench/results.md + bench/results.json (the committed snapshot).
import { writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import type { BenchContext } from './lib/context.ts';
import { priceConstants } from './lib/cycles.ts';
import { machineInfo, versions } from './lib/machine.ts';
import { defaultModelDir, repoRoot, sharedSpamModelDir, spamModelDir } from './lib/paths.ts';
import { renderJson, renderMarkdown } from './lib/report.ts';
import { newSection, type BenchResults, type Section } from './lib/results.ts';
import { targetDetails } from './lib/explain.ts';
import { summarySection } from './lib/summary.ts';
import { collectFigures, evaluateTargets } from './lib/targets.ts';


interface SectionModule {
  id: string;
  title: string;
  load: () => Promise<{ run: (ctx: BenchContext) => Promise<Section> }>;
}

// In dependency order: later sections' targets use earlier figures only through results.
const SECTIONS: readonly SectionModule[] = [
  { id: 'floors', title: 'Floors: empty methods in the same Azle build', load: () => import('./cases/floors.ts') },
  { id: 'tfjs', title: 'Baseline: TF.js inside an Azle canister', load: () => import('./cases/tfjs-baseline.ts') },
  { id: 'canister', title: 'decentai canister', load: () => import('./cases/canister.ts') },
  { id: 'profile', title: 'Profile: where the instructions go', load: () => import('./cases/profile.ts') },
  { id: 'scaling', title: 'Scaling: synthetic models', load: () => import('./cases/scaling.ts') },
  { id: 'zoo', title: 'Zoo models in the canister (issue 8)', load: () => import('./cases/zoo.ts') },
  { id: 'big', title: "The seed's size: a ~90 MB model", load: () => import('./cases/big-model.ts') },
  { id: 'node', title: 'Node: engine vs @tensorflow/tfjs', load: () => import('./cases/node.ts') },
  { id: 'size', title: 'Size and agreement per quantization', load: () => import('./cases/size.ts') },
  { id: 'embed', title: 'Embeddings and vector search', load: () => import('./cases/embed.ts') },
];

/** The bench measures on the in-process host only; say whether a replica was even available. */
function replicaNote(): string {
  try {
    const version = execFileSync('dfx', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `${version} is installed, but measuring on a replica is not implemented yet: no replica figures`;
  } catch {
    return 'no replica figures (dfx is not installed here)';
  }
}

function usage(): string {
  return `usage: npm run bench [-- options]

  --quick          finish in under three minutes: skips the ~90 MB model, the large
                   scaling models and the layers near the 5B query limit, uploads
                   smaller synthetic files, and repeats less in Node
  --only <ids>     run only these sections, comma-separated: ${SECTIONS.map((s) => s.id).join(', ')}
  --write          also write the report to bench/results.{md,json} (the committed
                   snapshot comes from a full run); without it nothing is written
  --no-write       accepted for old scripts: the default now
  --spam-model <dir|none>
                   the spam model's TF.js directory (default ../shared/models/spam-detection
                   when present); "none" runs as on a fresh clone without it
  --help           this text
`;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        only: { type: 'string' },
        write: { type: 'boolean', default: false },
        'no-write': { type: 'boolean', default: false },
        'spam-model': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (e) {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n${usage()}`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(usage());
    return;
  }
  const only = values.only?.split(',').map((id) => id.trim());
  const started = Date.now();
  const progress = (message: string): void => {
    process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
  };
  const spamOption = values['spam-model'];
  const spam = spamOption === 'none' ? null : spamOption !== undefined ? resolve(spamOption) : spamModelDir();
  let opened: Section | undefined;
  const ctx: BenchContext = {
    quick: values.quick,
    progress,
    spamModelDir: spam,
    defaultModelDir,
    openSection: (id, title, description) => (opened = newSection(id, title, description)),
  };

  const sections: Section[] = [];
  for (const module of SECTIONS) {
    if (only && !only.includes(module.id)) continue;
    progress(`section ${module.id}: ${module.title}`);
    const sectionStart = Date.now();
    const cpuStart = process.cpuUsage();
    opened = undefined;
    try {
      const { run } = await module.load();
      sections.push(await run(ctx));
    } catch (error) {
      // A failure keeps what the section measured before it, and the other sections run.
      const section = opened ?? newSection(module.id, module.title);
      section.skipped.push(`failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      progress(`section ${module.id} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      sections.push(section);
    }
    // CPU beside wall-clock: on a shared machine the CPU seconds are the fairer figure (builds run in child processes, not counted).
    const cpu = process.cpuUsage(cpuStart);
    progress(`section ${module.id} done: ${((Date.now() - sectionStart) / 1000).toFixed(0)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s CPU in this process`);
  }

  const results: BenchResults = {
    date: new Date().toISOString(),
    quick: values.quick,
    durationSeconds: (Date.now() - started) / 1000,
    machine: machineInfo(),
    versions: versions(),
    host: `in-process IC host (host/): ic-wasm-instrumented wasm, IC instruction limits; ${replicaNote()}`,
    prices: priceConstants(),
    models: {
      spam: spam ?? (spamOption === 'none' ? 'not used (--spam-model none): spam figures skipped' : `absent (${sharedSpamModelDir} not found): spam figures skipped`),
      default: defaultModelDir,
    },
    sections: [summarySection(sections, spam ? 'spam' : 'default'), ...sections],
    targets: evaluateTargets(sections, targetDetails(collectFigures(sections))),
  };
  const markdown = renderMarkdown(results);
  process.stdout.write(markdown);
  if (values.write && !values['no-write']) {
    await writeFile(join(repoRoot, 'bench', 'results.md'), markdown);
    await writeFile(join(repoRoot, 'bench', 'results.json'), renderJson(results));
    progress('wrote bench/results.md and bench/results.json');
  }
}

// One line for the user; the stack only when asked for (DEBUG=1).
await main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? (process.env.DEBUG ? (e.stack ?? e.message) : e.message) : String(e)}\n`);
  process.exit(1);
});
