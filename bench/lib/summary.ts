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
    { what: 'canister init', ours: 'decentai.init', floor: 'floors.init', tfjs: 'tfjs.init' },
    { what: `model load (decentai: commit_upload; TF.js: load update), ${model} model`, ours: `${model}.upload.commit`, tfjs: 'tfjs.load' },
    { what: `predict, short text, Candid query, ${model} model`, ours: `${model}.candid.predict_short`, floor: 'floors.empty_predict', tfjs: 'tfjs.predict' },
    { what: `predict, short text, Candid update, ${model} model`, ours: `${model}.candid.update_short`, floor: 'floors.empty_predict_update' },
    { what: `predict, REST query (http_request), ${model} model`, ours: `${model}.rest.query_short`, floor: 'floors.http_request' },
    { what: `predict, REST verified (http_request_update), ${model} model`, ours: `${model}.rest.update_short`, floor: 'floors.http_request_update' },
    { what: `predict, 64 KB body, REST query, ${model} model`, ours: `${model}.rest.query_64k`, floor: 'floors.http_request_64k' },
    { what: 'upgrade', ours: 'decentai.upgrade', floor: 'floors.upgrade' },
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
