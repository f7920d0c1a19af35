// Quick driver: float and int8 convolution kernels in the profile canister (bench/profile
// kernelCost), instructions per multiply-add per kernel choice, and the zoo MNIST CNN's whole
// prediction. Usage: npx tsx bench/profile/conv.ts [--shapes 28x1x32,12x32x64] [--no-zoo]
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

import { IDL } from '@dfinity/candid';

import { buildAzleCanister, Host } from '../../host/index.ts';
import { candidArgs, decodeReply, measureQuery, measureUpdate } from '../lib/calls.ts';
import { convertTfjsModel } from '../lib/models.ts';
import { buildDir, repoRoot } from '../lib/paths.ts';
import { writeConv2dModel } from '../lib/synthetic.ts';

const Phases = IDL.Vec(IDL.Tuple(IDL.Text, IDL.Float64));
const args = process.argv.slice(2);
const shapeArg = args.includes('--shapes') ? args[args.indexOf('--shapes') + 1] : '28x1x32,13x32x64';
const { wasm } = await buildAzleCanister('bench_profile');
const host = await Host.create();
const canister = await host.install(wasm);

async function costs(bytes: Uint8Array, choices: number[]): Promise<[string, number][]> {
  await measureUpdate(canister, 'loadKernels', bytes);
  const out: [string, number][] = [];
  for (const c of choices) out.push(...decodeReply<[string, number][]>(Phases, (await measureQuery(canister, 'kernelCost', candidArgs([IDL.Nat32], [c]))).reply));
  return out;
}

for (const shape of shapeArg.split(',')) {
  const [size, channels, filters] = shape.split('x').map(Number);
  const k = 3;
  const macs = (size - k + 1) ** 2 * filters * k * k * channels;
  const path = await writeConv2dModel(`${buildDir}/synthetic/conv-${shape}`, size, channels, filters, k);
  const line: string[] = [];
  for (const [label, v] of await costs(convertTfjsModel(path, 'float32').bytes, [0, 4, 5, 6])) line.push(`float32 ${label} ${(v / macs).toFixed(1)}`);
  for (const [label, v] of await costs(convertTfjsModel(path, 'int8').bytes, [0])) line.push(`int8 ${label} ${(v / macs).toFixed(1)}`);
  console.log(`Conv2D ${filters}×3×3 on ${size}×${size}×${channels} (${macs} MACs), per MAC: ${line.join(', ')}`);
}
const zoo = resolve(repoRoot, '../shared/zoo/AlexTrinityBlock__Tensorflow-opencv-webcam-mnist__models/model.json');
if (!args.includes('--no-zoo') && existsSync(zoo)) {
  for (const [label, v] of await costs(convertTfjsModel(zoo, 'float32').bytes, [0, 4, 5, 6])) console.log(`zoo MNIST CNN float32, ${label}: ${(v / 1e6).toFixed(1)}M instructions (predictVector)`);
}
