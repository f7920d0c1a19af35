// The tokenizer's per-word lookup against alternatives, inside QuickJS (drive.ts --vocab-lab):
// the object's property read, parseInt alone, engine/vocab-table.ts's keyed table, and
// fixed-width buckets searched by indexOf; also whether QuickJS's parseInt(token, 36) is exact
// on every keyed token of the loaded vocabulary.
type Row = [string, number];

export function vocabLab(tokens: string[], ids: Record<string, number | undefined>, pieces: string[], cost: (run: () => void) => number): Row[] {
  const n = pieces.length;
  const POW = [1];
  for (let i = 1; i <= 11; i++) POW.push(POW[i - 1] * 36);
  // numeric table: tokens [0-9a-z]{1,10} without a leading 0
  const numeric = /^[1-9a-z][0-9a-z]{0,9}$/;
  const SLOTS = 4099; // prime
  const keys = new Float64Array(SLOTS);
  const slotIds = new Int32Array(SLOTS);
  const keysM = new Float64Array(4096);
  const idsM = new Int32Array(4096);
  let exactMismatch = 0;
  let count = 0;
  for (let id = tokens.length - 1; id >= 0; id--) {
    const t = tokens[id];
    if (!numeric.test(t)) continue;
    let big = BigInt(0);
    for (const ch of t) big = big * BigInt(36) + BigInt(parseInt(ch, 36));
    const v = parseInt(t, 36);
    if (BigInt(v) !== big) exactMismatch++;
    let h = v % SLOTS;
    while (keys[h] !== 0 && keys[h] !== v) h = h + 1 === SLOTS ? 0 : h + 1;
    keys[h] = v;
    slotIds[h] = id;
    let m = (v | 0) & 4095;
    while (keysM[m] !== 0 && keysM[m] !== v) m = (m + 1) & 4095;
    keysM[m] = v;
    idsM[m] = id;
    count++;
  }
  const MIN = new Float64Array(12);
  MIN[0] = Infinity;
  for (let i = 1; i <= 10; i++) MIN[i] = POW[i - 1];
  MIN[11] = Infinity;
  const lookupNumeric = (): number => {
    var s = 0; var p = ''; var len = 0; var v = 0; var h = 0; var k = 0; var id = -1;
    for (var i = 0; i < n; i = (i + 1) | 0) {
      p = pieces[i];
      len = p.length;
      id = -1;
      if (len <= 10) {
        v = parseInt(p, 36);
        if (v >= MIN[len]) {
          h = v % SLOTS;
          while ((k = keys[h]) !== 0) {
            if (k === v) { id = slotIds[h]; break; }
            h = (h + 1) | 0;
            if (h === SLOTS) h = 0;
          }
        }
      }
      s = (s + id) | 0;
    }
    return s;
  };
  const lookupNumericMask = (): number => {
    var s = 0; var p = ''; var len = 0; var v = 0; var h = 0; var k = 0; var id = -1;
    for (var i = 0; i < n; i = (i + 1) | 0) {
      p = pieces[i];
      len = p.length;
      id = -1;
      if (len <= 10) {
        v = parseInt(p, 36);
        if (v >= MIN[len]) {
          h = (v | 0) & 4095;
          while ((k = keysM[h]) !== 0) {
            if (k === v) { id = idsM[h]; break; }
            h = (h + 1) & 4095;
          }
        }
      }
      s = (s + id) | 0;
    }
    return s;
  };
  const lookupObject = (): number => {
    var s = 0; var id: number | undefined = 0;
    for (var i = 0; i < n; i = (i + 1) | 0) { id = ids[pieces[i]]; s = (s + (id === undefined ? -1 : id)) | 0; }
    return s;
  };
  const loopLength = (): number => {
    var s = 0;
    for (var i = 0; i < n; i = (i + 1) | 0) s = (s + pieces[i].length) | 0;
    return s;
  };
  const loopParse = (): number => {
    var s = 0;
    for (var i = 0; i < n; i = (i + 1) | 0) s = s + parseInt(pieces[i], 36);
    return s;
  };
  const parse = parseInt;
  const loopParseLocal = (): number => {
    var s = 0; var f = parse;
    for (var i = 0; i < n; i = (i + 1) | 0) s = s + f(pieces[i], 36);
    return s;
  };
  const loopConcat = (): number => {
    var s = 0;
    for (var i = 0; i < n; i = (i + 1) | 0) s = (s + ('1' + pieces[i]).length) | 0;
    return s;
  };
  const loopCharCode = (): number => {
    var s = 0;
    for (var i = 0; i < n; i = (i + 1) | 0) s = (s + pieces[i].charCodeAt(0)) | 0;
    return s;
  };
  // buckets by length: fixed-width concatenations
  const bucketTexts: string[] = [];
  const bucketIds: number[][] = [];
  for (let id = 0; id < tokens.length; id++) {
    const t = tokens[id];
    const L = t.length;
    if (L === 0) continue;
    bucketTexts[L] = (bucketTexts[L] ?? '') + t;
    (bucketIds[L] ??= []).push(id);
  }
  for (let L = 0; L < bucketTexts.length; L++) bucketTexts[L] ??= '';
  const lookupBuckets = (): number => {
    var s = 0; var p = ''; var len = 0; var at = 0; var b = ''; var id = -1;
    for (var i = 0; i < n; i = (i + 1) | 0) {
      p = pieces[i];
      len = p.length;
      id = -1;
      if (len < bucketTexts.length) {
        b = bucketTexts[len];
        at = b.indexOf(p);
        while (at >= 0 && at % len !== 0) at = b.indexOf(p, at + 1);
        if (at >= 0) id = bucketIds[len][at / len];
      }
      s = (s + id) | 0;
    }
    return s;
  };
  const agree = `${lookupObject()} ${lookupNumeric()} ${lookupNumericMask()} ${lookupBuckets()}`;
  return [
    [`numeric tokens ${count} of ${tokens.length}; parseInt != BigInt on ${exactMismatch}; sums object/numeric/mask/buckets ${agree}`, 0],
    [`parseInt("zzzzzzzzzz",36) ${parseInt('zzzzzzzzzz', 36)} vs ${36 ** 10 - 1}`, 0],
    [`${n} pieces: loop .length`, cost(() => { loopLength(); })],
    [`${n} pieces: object lookup`, cost(() => { lookupObject(); })],
    [`${n} pieces: charCodeAt(0)`, cost(() => { loopCharCode(); })],
    [`${n} pieces: parseInt(p, 36)`, cost(() => { loopParse(); })],
    [`${n} pieces: local parseInt(p, 36)`, cost(() => { loopParseLocal(); })],
    [`${n} pieces: '1' + p`, cost(() => { loopConcat(); })],
    [`${n} pieces: numeric table, % prime`, cost(() => { lookupNumeric(); })],
    [`${n} pieces: numeric table, | 0 & mask`, cost(() => { lookupNumericMask(); })],
    [`${n} pieces: length buckets, indexOf`, cost(() => { lookupBuckets(); })],
  ];
}
