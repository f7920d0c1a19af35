/**
 * Candid `.did` text → @dfinity/candid IDL factory, without didc (which is not available here).
 * Covers the language as Azle emits it: named (and recursive) types, primitives, opt/vec/blob,
 * records (named, numeric and positional fields), variants, func/service references, and the
 * service with optional init arguments. `import` is not supported.
 */
import { IDL as IDLNamespace } from '@dfinity/candid';

type Idl = typeof IDLNamespace;
type IdlType = IDLNamespace.Type;
type IdlTypes = IDLNamespace.GenericIdlFuncArgs;

type Token = { kind: 'id' | 'text' | 'num' | 'sym'; value: string };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (/\s/.test(c)) {
      i++;
    } else if (source.startsWith('//', i)) {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? source.length : end + 2;
    } else if (source.startsWith('->', i)) {
      tokens.push({ kind: 'sym', value: '->' });
      i += 2;
    } else if ('{}();:,='.includes(c)) {
      tokens.push({ kind: 'sym', value: c });
      i++;
    } else if (c === '"') {
      let value = '';
      i++;
      while (i < source.length && source[i] !== '"') {
        if (source[i] === '\\') {
          value += source[i + 1];
          i += 2;
        } else value += source[i++];
      }
      i++;
      tokens.push({ kind: 'text', value });
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9_]+/.exec(source.slice(i))![0];
      tokens.push({ kind: 'num', value: m.replace(/_/g, '') });
      i += m.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z0-9_]+/.exec(source.slice(i))![0];
      tokens.push({ kind: 'id', value: m });
      i += m.length;
    } else {
      throw new Error(`Candid: unexpected character '${c}' at offset ${i}`);
    }
  }
  return tokens;
}

/** Candid syntax tree, resolved to IDL types once the IDL namespace is known. */
type TypeNode =
  | { t: 'ref'; name: string }
  | { t: 'opt' | 'vec'; inner: TypeNode }
  | { t: 'record' | 'variant'; fields: { name: string; positional: boolean; type: TypeNode }[] }
  | { t: 'func'; func: FuncNode }
  | { t: 'service'; methods: [string, FuncNode | TypeNode][] };
interface FuncNode {
  args: TypeNode[];
  rets: TypeNode[];
  annotations: string[];
}
interface Program {
  defs: Map<string, TypeNode>;
  initArgs: TypeNode[];
  service?: TypeNode;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(value?: string): boolean {
    const t = this.tokens[this.pos];
    return t !== undefined && (value === undefined || t.value === value);
  }
  private next(): Token {
    const t = this.tokens[this.pos++];
    if (!t) throw new Error('Candid: unexpected end of input');
    return t;
  }
  private expect(value: string): void {
    const t = this.next();
    if (t.value !== value) throw new Error(`Candid: expected '${value}' but found '${t.value}'`);
  }
  private eat(value: string): boolean {
    if (this.peek(value) && this.tokens[this.pos].kind === 'sym') {
      this.pos++;
      return true;
    }
    return false;
  }

  program(): Program {
    const defs = new Map<string, TypeNode>();
    let initArgs: TypeNode[] = [];
    let service: TypeNode | undefined;
    while (this.peek()) {
      const word = this.next().value;
      if (word === 'type') {
        const name = this.next().value;
        this.expect('=');
        defs.set(name, this.dataType());
      } else if (word === 'service') {
        if (!this.peek(':')) this.next(); // optional service name
        this.expect(':');
        if (this.peek('(')) {
          initArgs = this.tuple();
          this.expect('->');
        }
        service = this.peek('{') ? this.serviceBody() : { t: 'ref', name: this.next().value };
      } else if (word === 'import') {
        throw new Error('Candid: import is not supported');
      } else if (word !== ';') {
        throw new Error(`Candid: unexpected '${word}'`);
      }
      this.eat(';');
    }
    return { defs, initArgs, service };
  }

  private serviceBody(): TypeNode {
    this.expect('{');
    const methods: [string, FuncNode | TypeNode][] = [];
    while (!this.eat('}')) {
      const name = this.next().value;
      this.expect(':');
      methods.push([name, this.peek('(') ? this.funcType() : this.dataType()]);
      this.eat(';');
    }
    return { t: 'service', methods };
  }

  private funcType(): FuncNode {
    const args = this.tuple();
    this.expect('->');
    const rets = this.tuple();
    const annotations: string[] = [];
    while (this.peek('query') || this.peek('composite_query') || this.peek('oneway')) annotations.push(this.next().value);
    return { args, rets, annotations };
  }

  private tuple(): TypeNode[] {
    this.expect('(');
    const types: TypeNode[] = [];
    while (!this.eat(')')) {
      // An argument may be named: `name : type`.
      const t = this.tokens[this.pos];
      const after = this.tokens[this.pos + 1];
      if ((t.kind === 'id' || t.kind === 'text') && after?.value === ':') this.pos += 2;
      types.push(this.dataType());
      this.eat(',');
    }
    return types;
  }

  private dataType(): TypeNode {
    const word = this.next().value;
    switch (word) {
      case 'opt':
      case 'vec':
        return { t: word, inner: this.dataType() };
      case 'blob':
        return { t: 'vec', inner: { t: 'ref', name: 'nat8' } };
      case 'record':
      case 'variant':
        return { t: word, fields: this.fields(word) };
      case 'func':
        return { t: 'func', func: this.funcType() };
      case 'service':
        return this.serviceBody();
      default:
        return { t: 'ref', name: word };
    }
  }

  private fields(kind: 'record' | 'variant'): { name: string; positional: boolean; type: TypeNode }[] {
    this.expect('{');
    const fields: { name: string; positional: boolean; type: TypeNode }[] = [];
    let index = 0;
    while (!this.eat('}')) {
      const t = this.tokens[this.pos];
      const after = this.tokens[this.pos + 1];
      if (after?.value === ':' && (t.kind === 'id' || t.kind === 'text' || t.kind === 'num')) {
        this.pos += 2;
        const name = t.kind === 'num' ? `_${t.value}_` : t.value;
        fields.push({ name, positional: false, type: this.dataType() });
        if (t.kind === 'num') index = Number(t.value) + 1;
      } else if (kind === 'variant' && (t.kind === 'id' || t.kind === 'text') && (after?.value === ';' || after?.value === '}')) {
        this.pos++;
        fields.push({ name: t.value, positional: false, type: { t: 'ref', name: 'null' } });
      } else {
        fields.push({ name: `_${index}_`, positional: true, type: this.dataType() });
        index++;
      }
      this.eat(';');
    }
    return fields;
  }
}

function primitive(IDL: Idl, name: string): IdlType | undefined {
  const table: Record<string, IdlType> = {
    text: IDL.Text,
    nat: IDL.Nat,
    int: IDL.Int,
    nat8: IDL.Nat8,
    nat16: IDL.Nat16,
    nat32: IDL.Nat32,
    nat64: IDL.Nat64,
    int8: IDL.Int8,
    int16: IDL.Int16,
    int32: IDL.Int32,
    int64: IDL.Int64,
    float32: IDL.Float32,
    float64: IDL.Float64,
    bool: IDL.Bool,
    null: IDL.Null,
    reserved: IDL.Reserved,
    empty: IDL.Empty,
    principal: IDL.Principal,
  };
  return table[name];
}

class Resolver {
  private readonly done = new Map<string, IdlType>();
  private readonly inProgress = new Set<string>();
  private readonly recs = new Map<string, IDLNamespace.RecClass>();

  constructor(
    private readonly IDL: Idl,
    private readonly defs: Map<string, TypeNode>,
  ) {}

  named(name: string): IdlType {
    const prim = primitive(this.IDL, name);
    if (prim) return prim;
    const hit = this.done.get(name);
    if (hit) return hit;
    if (this.inProgress.has(name)) {
      // A recursive reference: hand out a Rec placeholder, filled once the definition resolves.
      let rec = this.recs.get(name);
      if (!rec) {
        rec = this.IDL.Rec();
        this.recs.set(name, rec);
      }
      return rec;
    }
    const node = this.defs.get(name);
    if (!node) throw new Error(`Candid: unknown type '${name}'`);
    this.inProgress.add(name);
    const resolved = this.type(node);
    this.inProgress.delete(name);
    const rec = this.recs.get(name);
    if (rec) rec.fill(resolved);
    const result = rec ?? resolved;
    this.done.set(name, result);
    return result;
  }

  type(node: TypeNode): IdlType {
    const IDL = this.IDL;
    switch (node.t) {
      case 'ref':
        return this.named(node.name);
      case 'opt':
        return IDL.Opt(this.type(node.inner));
      case 'vec':
        return IDL.Vec(this.type(node.inner));
      case 'record': {
        if (node.fields.length > 0 && node.fields.every((f) => f.positional)) return IDL.Tuple(...node.fields.map((f) => this.type(f.type)));
        return IDL.Record(Object.fromEntries(node.fields.map((f) => [f.name, this.type(f.type)])));
      }
      case 'variant':
        return IDL.Variant(Object.fromEntries(node.fields.map((f) => [f.name, this.type(f.type)])));
      case 'func':
        return this.func(node.func);
      case 'service':
        return IDL.Service(Object.fromEntries(node.methods.map(([name, m]) => [name, 'args' in m ? this.func(m) : (this.type(m) as IDLNamespace.FuncClass)])));
    }
  }

  func(f: FuncNode): IDLNamespace.FuncClass {
    return this.IDL.Func(f.args.map((a) => this.type(a)) as IdlTypes, f.rets.map((r) => this.type(r)) as IdlTypes, f.annotations);
  }
}

/** An IDL factory (as `createActor` and @dfinity/agent's `Actor.createActor` take) for a `.did` text. */
export function idlFactoryFromCandid(candid: string): IDLNamespace.InterfaceFactory {
  const program = new Parser(tokenize(candid)).program();
  if (!program.service) throw new Error('Candid: no service declaration');
  const type = new Resolver(IDLNamespace, program.defs).type(program.service);
  if (!(type instanceof IDLNamespace.ServiceClass)) throw new Error('Candid: the service is not a service type');
  // The types are built with this package's IDL, the same one the factory would be handed.
  return () => type;
}

/** The init (install) argument types declared by `service : (args) -> {...}`. */
export function initArgTypesFromCandid(candid: string, IDL: Idl = IDLNamespace): IdlType[] {
  const program = new Parser(tokenize(candid)).program();
  const resolver = new Resolver(IDL, program.defs);
  return program.initArgs.map((a) => resolver.type(a));
}
