// The completeness audit: every layer class @tensorflow/tfjs-layers registers (its
// serialization map, enumerated at run time, so a TF.js upgrade shows up here) is either
// supported by the converter or refused with a stated reason (converter/layers/refused.ts),
// never both; each refusal is the converter's one-line error for that class. A class TF.js
// does not register (a custom layer, Lambda) gets the error naming the layer, its class and
// every supported class.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { NESTED_MODELS, SUPPORTED_LAYERS } from '../converter/convert.ts';
import { FAMILY_CLASS_NAMES } from '../converter/layers/index.ts';
import { REFUSED_LAYERS } from '../converter/layers/refused.ts';
import { refusalOf } from './layer-check.ts';

/** Names of the registered classes that are layers (not initializers, constraints, optimizers, …). */
function tfjsLayerClasses(): string[] {
  const map = tf.serialization.SerializationMap.getMap().classNameMap;
  return Object.keys(map)
    .filter((name) => (map[name][0] as { prototype: unknown }).prototype instanceof tf.layers.Layer)
    .sort();
}

const refusal = (className: string): string => refusalOf([4], className);

describe('completeness audit against tfjs-layers', () => {
  const supported = new Set<string>([...SUPPORTED_LAYERS, ...FAMILY_CLASS_NAMES, ...NESTED_MODELS]);
  const classes = tfjsLayerClasses();

  it('finds the layer classes TF.js registers', () => {
    // a floor, not the exact list: TF.js 4.22 registers 69
    expect(classes.length).toBeGreaterThanOrEqual(60);
    expect(classes).toContain('Dense');
    expect(classes).toContain('Rescaling');
  });

  it('each is supported or refused with a stated reason, never both', () => {
    const unaccounted = classes.filter((name) => !supported.has(name) && REFUSED_LAYERS[name] === undefined);
    expect(unaccounted, 'neither supported nor in converter/layers/refused.ts').toEqual([]);
    const both = Object.keys(REFUSED_LAYERS).filter((name) => supported.has(name));
    expect(both, 'supported now: remove from converter/layers/refused.ts').toEqual([]);
    const counts = { supported: classes.filter((name) => supported.has(name)).length, refused: classes.filter((name) => REFUSED_LAYERS[name] !== undefined).length };
    console.log(`tfjs-layers registers ${classes.length} layer classes: ${counts.supported} supported, ${counts.refused} refused with a reason`);
  });

  it('each refusal is the one-line error for that class', () => {
    for (const [name, reason] of Object.entries(REFUSED_LAYERS)) {
      expect(reason.length).toBeGreaterThan(20);
      expect(reason).not.toContain('\n');
      expect(refusal(name)).toBe(`layer 'x' (${name}) is not supported: ${reason}`);
    }
  });

  it('a custom or unknown class names the layer, its class and every supported class', () => {
    for (const name of ['Lambda', 'MyCustomLayer']) {
      const message = refusal(name);
      expect(message).toMatch(new RegExp(`^layer 'x' \\(${name}\\) is not supported \\(a custom or unknown layer class\\); supported: `));
      for (const className of supported) expect(message).toContain(className);
    }
  });
});
