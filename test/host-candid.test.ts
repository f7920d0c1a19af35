/** The .did → IDL factory parser used to talk to canisters without hand-written idlFactories. */
import { describe, expect, it } from 'vitest';
import { IDL } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';
import { idlFactoryFromCandid, initArgTypesFromCandid } from '../host/candid-parser.ts';

const DID = `
// comments are ignored
type Tree = variant { leaf : nat; node : record { left : Tree; right : Tree } };
type Pair = record { text; nat };
type Choice = variant { A; B : text; "quoted name" : nat };
/* block comment */
service : (record { owner : principal }) -> {
  walk : (tree : Tree, Pair, Choice) -> (vec Tree) composite_query;
  put : (blob, opt vec nat8) -> (opt blob);
  numbered : (record { 0 : text; 2 : int64 }) -> () query;
}`;

function methods(did: string): Map<string, IDL.FuncClass> {
  return new Map(idlFactoryFromCandid(did)({ IDL })._fields);
}

describe('idlFactoryFromCandid', () => {
  it('reads methods with their argument, result types and annotations', () => {
    const m = methods(DID);
    expect([...m.keys()].sort()).toEqual(['numbered', 'put', 'walk']);
    expect(m.get('walk')?.annotations).toEqual(['composite_query']);
    expect(m.get('numbered')?.annotations).toEqual(['query']);
    expect(m.get('put')?.argTypes.map((t) => t.display())).toEqual(['vec nat8', 'opt vec nat8']);
    expect(m.get('put')?.retTypes.map((t) => t.display())).toEqual(['opt vec nat8']);
  });

  it('round-trips recursive types, tuples and variants with null cases', () => {
    const [tree, pair, choice] = methods(DID).get('walk')!.argTypes as IDL.Type[];
    const value = { node: { left: { leaf: 1n }, right: { node: { left: { leaf: 2n }, right: { leaf: 3n } } } } };
    expect(IDL.decode([tree], IDL.encode([tree], [value]))).toEqual([value]);
    expect(IDL.decode([pair], IDL.encode([pair], [['a', 5n]]))).toEqual([['a', 5n]]);
    expect(IDL.decode([choice], IDL.encode([choice], [{ A: null }]))).toEqual([{ A: null }]);
  });

  it('encodes exactly like a hand-written factory', () => {
    const parsed = methods('service : { f : (record { name : text; tags : vec text; id : principal }) -> () }').get('f')!;
    const hand = IDL.Record({ name: IDL.Text, tags: IDL.Vec(IDL.Text), id: IDL.Principal });
    const value = { name: 'x', tags: ['a'], id: Principal.anonymous() };
    expect(Buffer.from(IDL.encode(parsed.argTypes, [value]))).toEqual(Buffer.from(IDL.encode([hand], [value])));
  });

  it('reads the init arguments', () => {
    expect(initArgTypesFromCandid(DID).map((t) => t.display())).toEqual(['record {owner:principal}']);
    expect(initArgTypesFromCandid('service : { }')).toEqual([]);
  });

  it('reports what it cannot read', () => {
    expect(() => idlFactoryFromCandid('type A = B; service : { f : (A) -> () }')).toThrow(/unknown type 'B'/);
    expect(() => idlFactoryFromCandid('type A = nat;')).toThrow(/no service/);
  });
});
