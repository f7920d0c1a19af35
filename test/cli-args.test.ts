// CLI flag errors: parseArgs's own message, without Node's hint about `--`.

import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { argsErrorMessage, isArgsError } from '../engine/cli-args.ts';

const parse = (args: string[]) => () => parseArgs({ args, allowPositionals: true, options: { port: { type: 'string' } } });

describe('CLI flag errors', () => {
  it('drop the `--` hint from unknown options and keep every other message', () => {
    let caught: unknown;
    try {
      parse(['--bogus'])();
    } catch (e) {
      caught = e;
    }
    expect(isArgsError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(/To specify a positional argument/); // what Node says
    expect(argsErrorMessage(caught)).toBe("Unknown option '--bogus'");
    expect(() => parse(['--port'])()).toThrow(/argument missing/);
    expect(argsErrorMessage(new Error('plain'))).toBe('plain');
    expect(isArgsError(new Error('plain'))).toBe(false);
  });

  it('npm run convert says only what is wrong', () => {
    const r = spawnSync(resolve('node_modules/.bin/tsx'), ['converter/cli.ts', 'x.json', '--bogus'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe("convert: Unknown option '--bogus'");
  });
});
