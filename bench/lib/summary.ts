// The headline table: decentAI side by side with the floors (Azle doing nothing) and
// the TF.js baseline, from figures measured in this run.
import { formatInstructions, formatRatio } from './format.ts';
import { newSection, type Section } from './results.ts';
import { collectFigures } from './targets.ts';

interface Row {
  what: string;
  ours: string;
  floor?: string;
  tfjs?: string;
}

function rows(model: string): Row[] {
  return [
    { what: 'canister init (floor: the hello canister, host/fixtures/hello)', ours: 'decentai.init', floor: 'floors.hello_init', tfjs: 'tfjs.init' },
    { what: 'canister init (floor: the floors canister, empty methods)', ours: 'decentai.init', floor: 'floors.init' },
    { what: 'first update after install (begin_upload; decentai: compiles the core)', ours: 'decentai.first_update', floor: 'floors.empty_manual_update' },
    { what: `model load (decentai: commit_upload; TF.js: load update), ${model} model`, ours: `${model}.upload.commit`, tfjs: 'tfjs.load' },
    { what: `model load, int8 file as the only model (decentai: commit_upload), ${model} model`, ours: `${model}.upload.int8.commit_alone` },
    { what: `predict, short text, Candid query, ${model} model`, ours: `${model}.candid.predict_short`, floor: 'floors.empty_predict', tfjs: 'tfjs.predict' },
    { what: `predict, short text, Candid update, ${model} model`, ours: `${model}.candid.update_short`, floor: 'floors.empty_predict_update' },
    { what: `predict, REST query (http_request), ${model} model`, ours: `${model}.rest.query_short`, floor: 'floors.http_request' },
    { what: `predict, REST verified (http_request_update), ${model} model`, ours: `${model}.rest.update_short`, floor: 'floors.http_request_update' },
    { what: `predict, 64 KB body, REST query, ${model} model`, ours: `${model}.rest.query_64k`, floor: 'floors.http_request_64k' },
    { what: 'upgrade, nothing stored', ours: 'decentai.upgrade_empty', floor: 'floors.upgrade' },
    { what: 'upgrade, models stored (decentai: compiles the core, restores and loads them)', ours: 'decentai.upgrade', floor: 'floors.upgrade' },
  ];
}

/** `model` is the model both sides ran: spam when present, else default. */
export function summarySection(sections: readonly Section[], model: string): Section {
  const figures = collectFigures(sections);
  const section = newSection(
    'summary',
    'Summary: decentAI side by side with the floors and TF.js',
    'Whole-message instructions. "Azle floor" is an empty method with the same signature in the same Azle build (bench/floors); "TF.js in canister" is bench/tfjs-baseline on the same model.',
  );
  const show = (id: string | undefined): string => (id === undefined ? '—' : formatInstructions(figures.get(id)));
  const table = rows(model).map((row) => {
    const ours = figures.get(row.ours);
    const theirs = row.tfjs ? figures.get(row.tfjs) : undefined;
    return [row.what, show(row.ours), show(row.floor), show(row.tfjs), ours && theirs ? formatRatio(theirs / ours) : '—'];
  });
  const engineUs = figures.get('node.single_engine_us');
  const tfjsUs = figures.get('node.single_tfjs_us');
  table.push([
    'Node, one prediction (µs), engine vs @tensorflow/tfjs',
    engineUs?.toFixed(2) ?? '—',
    '—',
    tfjsUs?.toFixed(0) ?? '—',
    engineUs && tfjsUs ? formatRatio(tfjsUs / engineUs) : '—',
  ]);
  section.tables.push({ headers: ['measure', 'decentAI', 'Azle floor', 'TF.js in canister', 'TF.js / decentAI'], rows: table });
  return section;
}
