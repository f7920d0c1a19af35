import { readFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';

import { repoRoot } from './paths.ts';
import type { MachineInfo } from './results.ts';

export function machineInfo(): MachineInfo {
  const cpuList = cpus();
  return {
    cpu: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
  };
}

function installedVersion(packageName: string): string {
  try {
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'node_modules', packageName, 'package.json'), 'utf8'));
    return String(manifest.version);
  } catch {
    return 'not installed';
  }
}

export function versions(): Record<string, string> {
  const own = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  return {
    decentai: String(own.version),
    node: process.versions.node,
    azle: installedVersion('azle'),
    '@tensorflow/tfjs': installedVersion('@tensorflow/tfjs'),
    '@dfinity/candid': installedVersion('@dfinity/candid'),
  };
}
