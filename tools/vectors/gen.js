#!/usr/bin/env node
// Independent test vectors for the teraproof matrix digest (spec section 3)
// and the Freivalds challenge, computed with circomlibjs's Poseidon.
//
// Deterministic: all "random" data comes from a seeded mulberry32 PRNG below.
// Regenerate with: cd tools/vectors && npm ci && node gen.js
"use strict";

const fs = require("fs");
const path = require("path");
const { buildPoseidon } = require("circomlibjs");
// circomlibjs's "exports" map hides its package.json, so read it from disk.
const CIRCOMLIBJS_VERSION = JSON.parse(
  fs.readFileSync(path.join(__dirname, "node_modules", "circomlibjs", "package.json"), "utf8")
).version;

const OUT = path.join(__dirname, "..", "..", "crates", "core", "tests", "vectors", "digests.json");

// Well-known circomlib Poseidon value for inputs [1, 2].
const POSEIDON_1_2 =
  "7853200120776062878684798364095072458815029376092732009249414926327459813530";

function asciiBigEndian(s) {
  let x = 0n;
  for (const b of Buffer.from(s, "ascii")) x = (x << 8n) | BigInt(b);
  return x;
}
const TAG_MATRIX = asciiBigEndian("teraproof.matrix.v1");
const TAG_FREIVALDS = asciiBigEndian("teraproof.freivalds.v1");

const DTYPES = {
  i8: { code: 1n, bits: 8n, perElem: 31, offset: 128n, min: -128, max: 127 },
  i32: { code: 4n, bits: 32n, perElem: 7, offset: 2147483648n, min: -2147483648, max: 2147483647 },
};
const ABSORB = 11;

// mulberry32, returning an unsigned 32-bit integer.
function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function randomData(dtype, n, rng) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const u = rng();
    out.push(dtype === "i8" ? (u & 0xff) - 128 : u | 0);
  }
  return out;
}

function pack(dtype, data) {
  const d = DTYPES[dtype];
  const packed = [];
  for (let i = 0; i < data.length; i += d.perElem) {
    let acc = 0n;
    const group = data.slice(i, i + d.perElem);
    group.forEach((v, j) => {
      if (!Number.isInteger(v) || v < d.min || v > d.max) throw new Error(`bad ${dtype} value ${v}`);
      const u = BigInt(v) + d.offset;
      acc += u << (d.bits * BigInt(j));
    });
    packed.push(acc);
  }
  return packed;
}

async function main() {
  const poseidon = await buildPoseidon();
  const F = poseidon.F;
  const H = (inputs) => F.toObject(poseidon(inputs.map((x) => BigInt(x))));

  // Sanity check: is this the circom Poseidon?
  const check = F.toString(poseidon([1, 2]));
  console.log(`poseidon([1,2]) = ${check}`);
  if (check !== POSEIDON_1_2) throw new Error("poseidon([1,2]) mismatch: wrong hash?");
  console.log(`TAG_MATRIX    = ${TAG_MATRIX}`);
  console.log(`TAG_FREIVALDS = ${TAG_FREIVALDS}`);

  function digest(m) {
    const d = DTYPES[m.dtype];
    if (m.data.length !== m.rows * m.cols) throw new Error("data length != rows*cols");
    let h = H([TAG_MATRIX, d.code, BigInt(m.rows), BigInt(m.cols)]);
    const packed = pack(m.dtype, m.data);
    for (let i = 0; i < packed.length; i += ABSORB) {
      const group = packed.slice(i, i + ABSORB);
      while (group.length < ABSORB) group.push(0n);
      h = H([h, ...group]);
    }
    return { digest: h.toString(10), packedLen: packed.length, packed };
  }

  const rng = mulberry32(0x7e7a9f00);
  const mats = [];
  const add = (name, dtype, rows, cols, data) => mats.push({ name, matrix: { dtype, rows, cols, data } });
  const withExtremes = (data, dtype, idx) => {
    const d = DTYPES[dtype];
    // Put min/max (and neighbours, and 0/-1) at fixed positions.
    const vals = [d.min, d.max, d.min + 1, d.max - 1, 0, -1];
    idx.forEach((p, k) => { data[p] = vals[k % vals.length]; });
    return data;
  };

  add("i8_1x1_zero", "i8", 1, 1, [0]);
  add("i8_1x1_min", "i8", 1, 1, [-128]);
  add("i8_2x3_extremes", "i8", 2, 3, [-128, 127, 0, -1, 1, 42]);
  add("i8_5x7_random", "i8", 5, 7, randomData("i8", 35, rng));
  add("i8_16x16_random", "i8", 16, 16, withExtremes(randomData("i8", 256, rng), "i8", [0, 255, 17, 100, 200, 31]));
  add("i8_1x341_all127", "i8", 1, 341, new Array(341).fill(127));
  add("i8_1x342_random", "i8", 1, 342, withExtremes(randomData("i8", 342, rng), "i8", [0, 341, 340, 1, 2, 3]));
  add("i8_3x4_random", "i8", 3, 4, randomData("i8", 12, rng));
  add("i32_1x1_min", "i32", 1, 1, [-2147483648]);
  add("i32_3x5_random", "i32", 3, 5, withExtremes(randomData("i32", 15, rng), "i32", [0, 14, 6, 7, 8, 3]));
  add("i32_8x8_random", "i32", 8, 8, randomData("i32", 64, rng));
  add("i32_1x77_random", "i32", 1, 77, withExtremes(randomData("i32", 77, rng), "i32", [0, 76, 6, 7, 70, 71]));

  const byName = {};
  for (const m of mats) {
    const r = digest(m.matrix);
    m.digest = r.digest;
    byName[m.name] = m;
    console.log(`${m.name.padEnd(18)} packed=${String(r.packedLen).padStart(3)} digest=${r.digest}`);
    m._packed = r.packed;
  }

  // Structural self-checks on the packing.
  const p341 = byName["i8_1x341_all127"]._packed;
  if (p341.length !== 11 || !p341.every((e) => e === (1n << 248n) - 1n)) throw new Error("1x341 packing");
  if (byName["i8_1x342_random"]._packed.length !== 12) throw new Error("1x342 packing");
  if (byName["i32_1x77_random"]._packed.length !== 11) throw new Error("1x77 packing");
  if (byName["i8_1x1_zero"]._packed[0] !== 128n) throw new Error("1x1 zero packing");
  if (byName["i32_1x1_min"]._packed[0] !== 0n) throw new Error("i32 min packing");
  for (const m of mats) delete m._packed;

  const triples = [
    ["i8_2x3_extremes", "i8_3x4_random", "i32_3x5_random"],
    ["i8_16x16_random", "i8_1x342_random", "i32_8x8_random"],
  ];
  const challenges = triples.map(([a, b, c]) => {
    const da = byName[a].digest, db = byName[b].digest, dc = byName[c].digest;
    const x = H([TAG_FREIVALDS, da, db, dc]).toString(10);
    console.log(`challenge(${a}, ${b}, ${c}) = ${x}`);
    return { a, b, c, da, db, dc, x };
  });

  const out = {
    generator: `tools/vectors/gen.js (circomlibjs ${CIRCOMLIBJS_VERSION})`,
    matrices: mats,
    challenges,
  };
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  // Pretty-print, but keep each data array on one line.
  const json = JSON.stringify(out, null, 1).replace(
    /"data": \[[^\]]*\]/g,
    (m) => m.replace(/\s+/g, "").replace('"data":[', '"data": [').replace(/,/g, ", ")
  );
  JSON.parse(json); // still valid
  fs.writeFileSync(OUT, json + "\n");
  console.log(`wrote ${path.relative(path.join(__dirname, "..", ".."), OUT)}`);
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
