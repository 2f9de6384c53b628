// Generates core/crypto/chacha-wasm.generated.ts: the WebAssembly kernels behind chacha20-poly1305@openssh.com
// (ChaCha20 per RFC 8439 §2.1-2.4 with caller-given state words 12..15, Poly1305 per RFC 8439 §2.5, and the packet
// composition of PROTOCOL.chacha20poly1305). The WAT text is built here and assembled with npm `wabt` (a devDependency):
//   bun scripts/gen-chacha-wasm.ts          rewrite the generated file
//   bun scripts/gen-chacha-wasm.ts --wat    print the WAT text instead
// test/unit/crypto/chachapoly-wasm.test.ts checks that the committed bytes equal a fresh generation.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import wabtInit from "wabt";

/**
 * Fixed scratch addresses inside the kernel's memory; everything from SCRATCH_END up belongs to the JS allocator in
 * core/crypto/chacha20.ts (keys, packet buffers). Mirrored there as KERNEL_LAYOUT.
 */
export const LAYOUT = {
  polyKey: 0, // 64 bytes: ChaCha20 block 0 of K_2, the Poly1305 one-time key (wiped after each packet)
  tmp: 64, // 64 bytes: keystream of a partial block, or K_1's block 0 (wiped after each packet)
  pad: 128, // 16 bytes: the last, short Poly1305 block
  tag: 144, // 16 bytes: computed tag in open
  rs: 160, // 112 bytes: Poly1305 r0..r4, s1..s4, h0..h4 during a stitched seal (wiped after each packet)
  tail: 272, // 192 bytes: keystream of the last blocks of a sealed packet, or the one block of a short packet
  consts: 464, // 96 bytes (a data segment): i32x4 splats of 2^12 and 2^7, σ, (1, 0, 0, 0), (2, 0, 0, 0), (3, 0, 0, 0)
  scratchEnd: 1024,
} as const;

/**
 * The kernel imports its memory, shared so that growing it never detaches views JS holds (packet buffers handed out by
 * core/crypto/chacha20.ts live there). Mirrored there as MAX_PAGES: 1 GiB of address space, reserved lazily.
 */
export const MAX_PAGES = 16384;

const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]; // RFC 8439 §2.3: "expand 32-byte k"

const get = (n: string): string => `(local.get $${n})`;
const set = (n: string, e: string): string => `(local.set $${n} ${e})`;
const i32 = (v: number): string => `(i32.const ${v})`;

/** i8x16.shuffle of two vectors by 32-bit lane indices (0-3 first operand, 4-7 second). */
function shuffle32(a: string, b: string, lanes: readonly number[]): string {
  const bytes = lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);
  return `(i8x16.shuffle ${bytes.join(" ")} ${a} ${b})`;
}
/**
 * Generator switches kept for experiments; the defaults are the fastest measured on Bun 1.4.5 (JSC OMG tier, AMD EPYC,
 * 2 shared vCPUs, 32 KiB, best CPU-time rate of 8 runs, kernel called directly):
 * - ChaCha20 alone: rows=3 with diagonalsABC ~1100 MB/s; rows=2 ~930 (either diagonal form); rows=3 rotating b, c, d
 *   679 (JSC fuses d's byte shuffle with its lane rotation into extra mask registers and spills); rows=4 633-774;
 *   four-lane column layout (rows=0) ~720; byte-shuffle rotations by 16/8 731 vs shifts 414 (column layout);
 *   i32x4.mul for the left shift 610. JSC lowers every vector shift to And32 + movq + pslld (no immediate form) and
 *   uses 16 xmm registers, so three interleaved blocks in rows, each fitting four registers, win.
 * - stitch (seal: Poly1305 inside the ChaCha20 round loop) ~830 vs ~570 sequential; unroll (ten double rounds
 *   unrolled) halves ChaCha20 (~424) under JSC's register allocator; shift counts loaded from memory (so that JSC
 *   does not keep them in four general registers) ~789 vs ~833; h or r/s kept in memory in the stitched loop
 *   ~776-818 vs all in locals ~830; polyPairs (two blocks per carry with r²) ~760: more live values, more spills.
 * - stitchOpen (keystream and Poly1305 together, XOR after the tag check) ~845 vs ~550 for MAC-then-decrypt.
 * - radix32 (Poly1305 in radix 2^32 as OpenSSL's 32-bit C: 20 products a block instead of 25, message words without
 *   limb splitting, seven factors instead of nine) with polyInterleave (each z_k summed onto the carry from z_(k-1)
 *   where it is computed) and fold5Shift (5·(h4 >> 2) as (h4 & ~3) + (h4 >> 2)): in one process, kernels called
 *   directly (CPU time, median of 15), seal 951 / open 902 / seal+open 468 vs radix 2^26's 832 / 796 / 411; radix32
 *   alone 922 / 876 / 454, with interleave 936 / 889 / 459. bench/crypto-chachapoly.ts "seal+open 32 KiB" cpuMbPerS
 *   445-450 vs 390-393 (interleaved runs), Poly1305 alone ~1450 vs ~1220.
 * - What the OMG disassembly (BUN_JSC_dumpOMGDisassembly=1) shows: B3 rebalances every sum of products into a tree,
 *   so all products of a limb are live at once and spill (about 40 stack accesses a Poly1305 block with ~11 free
 *   general registers); rewriting the sum as c − Σ x·(−f) does not stop it (polySubChain, negated factors in memory:
 *   B3 turns it back into c − (Σ …)). Constant shift counts are rematerialised per shift (Move $12; And32 $31; movq;
 *   pslld): four instructions where x86 has one.
 * - With radix32: mulShift 12 (x << 12 as i32x4.mul by 4096: pmulld, no count through a general register; 7, or
 *   both, no better), hookPrePost (of the twelve Poly1305 blocks of a step, one before the round loop, one after, one
 *   in every double round: no condition or select in the loop; a number gives how many go before) and xorUnroll
 *   (open's final XOR 64 bytes an iteration: xor_bytes ~29 → ~41 GB/s) together +3 % (seal+open 474 vs 460, open 929
 *   vs 895, median of 25, both orders). balancedSums (sums written as trees) changed nothing: B3 emits the same code;
 *   a select that B3 cannot fold every second partial sum (to stop the rebalancing) was worse (420 vs 457).
 * - hookPeel: the Poly1305 block of a double round between its column and diagonal rounds (hookMid 0.5; 0.125, 0.25
 *   and 0.75 no better than after the double round), the two extra blocks of a step in the first two double rounds,
 *   peeled off the loop (mid and end): seal+open best-of-21 496 vs 477, seal ~1000 vs ~957, open ~965 vs ~932 (median
 *   +2-4 % on a loaded machine). hookRoundsPerIteration 2 (two double rounds and blocks an iteration) slightly
 *   worse (468 vs 475). With hookPeel, mulShift true (7 as well) ties with 12 (505 vs 503), mulShift false 484.
 * - hookSpread 0.75: each Poly1305 block's statements spread evenly over the last three quarters of the half round
 *   before its place (B3 keeps the order, so the scalar and vector instructions come mixed): seal+open median 507 vs
 *   492, open ~990 vs ~954 (best-of-21 511 vs 498); 0.25, 0.5, 1 and spreading the loop's block over the whole
 *   double round (hookSpreadWhole) all within 1 % of it.
 * - hookExtraAtEnd: the two extra blocks of a step spread over its end (keystream rows added, XORed in, stored)
 *   instead of two peeled double rounds: seal ~1045 vs ~1016, open unchanged, seal+open median 512 vs 505 (21 runs,
 *   both orders), and no peeled code (wasm 21 KB instead of 28 KB). hookPeel is used when this is off.
 * - mulConstFromMemory: JSC rematerialises a v128.const at every use through general registers (mov, movq, mov,
 *   pinsrq; the dump shows "MoveVector { 00001000, ... }" before each pmulld), so mulShift's factors come from a data
 *   segment at LAYOUT.consts instead (a plain load): seal+open median 518 vs 506; then mulShift true (7 as well as
 *   12) 522, seal ~1060 vs ~1030, open ~1010 vs ~965 (21 runs, both orders). stepConstsFromMemory (σ and the counter
 *   increments of a step from there too) 531 vs 527: within noise (eleven constants a step), so off.
 * - factorsInMemory (radix32's seven factors read from LAYOUT.rs at each product, so that h keeps general registers
 *   across the ChaCha20 code): 523 vs 529, seal 1047 vs 1069; off. rows 4 (322) and 2 (456) still lose to 3 (524).
 * - All of the above against the radix 2^26 kernel before them, bench/crypto-chachapoly.ts cpuMbPerS, three runs each,
 *   interleaved: seal+open 32 KiB 497-508 vs 393-396, seal ~1010 vs ~795, open ~960 vs ~770, ChaCha20 alone ~1055 vs
 *   ~1030, Poly1305 alone ~1500 vs ~1240, seal+open 1 KiB ~340 vs ~295 (OpenSSL, native: ~3700 seal only).
 */
export const OPTIONS = {
  byteShuffleRotate: true, mulShift: true as boolean | number, rows: 3, stitch: true, unroll: false, hInMemory: false, rsInMemory: false,
  stitchOpen: true, roundsPerIteration: 1, diagonalsABC: true, polyPairs: false, polyInterleave: true, polySubChain: false, radix32: true, fold5Shift: true, xorUnroll: true, hookPrePost: true as boolean | number, hookRoundsPerIteration: 1, hookMid: false as boolean | number, hookPeel: true, hookSpread: 0.75, hookSpreadWhole: false, hookExtraAtEnd: true, mulConstFromMemory: true, stepConstsFromMemory: false, factorsInMemory: false,
};
/** Rotate each 32-bit lane left by 16 or 8 with one byte shuffle (pshufb on x86), by other counts with two shifts. */
function rotl(v: string, n: number): string[] {
  if (OPTIONS.byteShuffleRotate && (n === 16 || n === 8)) {
    const perLane = n === 16 ? [2, 3, 0, 1] : [3, 0, 1, 2];
    const bytes = [0, 4, 8, 12].flatMap((k) => perLane.map((i) => k + i));
    return [set(v, `(i8x16.shuffle ${bytes.join(" ")} ${get(v)} ${get(v)})`)];
  }
  if (OPTIONS.mulShift === true || OPTIONS.mulShift === n) {
    // mulConstFromMemory: the factor loaded from LAYOUT.consts (a load) where JSC rematerialises a v128.const at every
    // use through general registers (mov, movq, mov, pinsrq)
    const factor = OPTIONS.mulConstFromMemory ? `(v128.load offset=${LAYOUT.consts + (n === 12 ? 0 : 16)} ${i32(0)})`
      : `(v128.const i32x4 ${Array(4).fill(1 << n).join(" ")})`;
    return [set(v, `(v128.or (i32x4.mul ${get(v)} ${factor}) (i32x4.shr_u ${get(v)} ${i32(32 - n)}))`)];
  }
  return [set(v, `(v128.or (i32x4.shl ${get(v)} ${i32(n)}) (i32x4.shr_u ${get(v)} ${i32(32 - n)}))`)];
}
/** RFC 8439 §2.1 quarter round on four vectors of lanes. */
function quarterRound(a: string, b: string, c: string, d: string): string[] {
  const step = (x: string, y: string, z: string, n: number): string[] => [
    set(x, `(i32x4.add ${get(x)} ${get(y)})`),
    set(z, `(v128.xor ${get(z)} ${get(x)})`),
    ...rotl(z, n),
  ];
  return [...step(a, b, d, 16), ...step(c, d, b, 12), ...step(a, b, d, 8), ...step(c, d, b, 7)];
}

/**
 * chacha_wide (rows=0 form)(key, w12, w13, w14, w15, p, n4): XORs 4·n4 keystream blocks into p (n4 ≥ 1), four blocks per step, one
 * block per i32x4 lane, word j of the state in vector x_j. Block i has counter word w12 + i (32-bit, the caller keeps it
 * from wrapping).
 */
function chachaX4(): string {
  const x = Array.from({ length: 16 }, (_, i) => `x${i}`);
  const locals = [...x, "k4", "k5", "k6", "k7", "k8", "k9", "k10", "k11", "n13", "n14", "n15", "ctr", "t0", "t1", "t2", "t3"]
    .map((n) => `(local $${n} v128)`)
    .join(" ");
  const body: string[] = [];
  for (let i = 0; i < 8; i++) body.push(set(`k${4 + i}`, `(v128.load32_splat offset=${4 * i} ${get("key")})`));
  body.push(set("n13", `(i32x4.splat ${get("w13")})`), set("n14", `(i32x4.splat ${get("w14")})`));
  body.push(set("n15", `(i32x4.splat ${get("w15")})`));
  body.push(set("ctr", `(i32x4.add (i32x4.splat ${get("w12")}) (v128.const i32x4 0 1 2 3))`));
  const input = (j: number): string =>
    j < 4 ? `(v128.const i32x4 ${Array(4).fill(SIGMA[j]).join(" ")})` : j < 12 ? get(`k${j}`) : j === 12 ? get("ctr") : get(`n${j}`);
  const step: string[] = [];
  for (let j = 0; j < 16; j++) step.push(set(`x${j}`, input(j)));
  const rounds: string[] = [
    ...quarterRound("x0", "x4", "x8", "x12"), ...quarterRound("x1", "x5", "x9", "x13"),
    ...quarterRound("x2", "x6", "x10", "x14"), ...quarterRound("x3", "x7", "x11", "x15"),
    ...quarterRound("x0", "x5", "x10", "x15"), ...quarterRound("x1", "x6", "x11", "x12"),
    ...quarterRound("x2", "x7", "x8", "x13"), ...quarterRound("x3", "x4", "x9", "x14"),
  ];
  step.push(set("i", i32(10)), `(loop $rounds ${rounds.join(" ")}`,
    `(br_if $rounds (local.tee $i (i32.sub ${get("i")} ${i32(1)}))))`);
  // Add the input (RFC 8439 §2.3 step 2), then transpose each group of four words from lanes to blocks and XOR.
  for (let g = 0; g < 4; g++) {
    const w = [0, 1, 2, 3].map((k) => 4 * g + k);
    for (const j of w) step.push(set(`x${j}`, `(i32x4.add ${get(`x${j}`)} ${input(j)})`));
    const [a, b, c, d] = w.map((j) => get(`x${j}`)) as [string, string, string, string];
    step.push(set("t0", shuffle32(a, b, [0, 4, 1, 5])), set("t1", shuffle32(a, b, [2, 6, 3, 7])));
    step.push(set("t2", shuffle32(c, d, [0, 4, 1, 5])), set("t3", shuffle32(c, d, [2, 6, 3, 7])));
    const rows = [
      shuffle32(get("t0"), get("t2"), [0, 1, 4, 5]), shuffle32(get("t0"), get("t2"), [2, 3, 6, 7]),
      shuffle32(get("t1"), get("t3"), [0, 1, 4, 5]), shuffle32(get("t1"), get("t3"), [2, 3, 6, 7]),
    ];
    rows.forEach((row, blk) => {
      const off = 64 * blk + 16 * g;
      step.push(`(v128.store offset=${off} align=1 ${get("p")} (v128.xor (v128.load offset=${off} align=1 ${get("p")}) ${row}))`);
    });
  }
  step.push(set("ctr", `(i32x4.add ${get("ctr")} (v128.const i32x4 4 4 4 4))`));
  step.push(set("p", `(i32.add ${get("p")} ${i32(256)})`));
  return `(func $chacha_wide (param $key i32) (param $w12 i32) (param $w13 i32) (param $w14 i32) (param $w15 i32)
    (param $p i32) (param $n4 i32) ${locals} (local $i i32)
    ${body.join("\n    ")}
    (loop $blocks
    ${step.join("\n    ")}
    (br_if $blocks (local.tee $n4 (i32.sub ${get("n4")} ${i32(1)})))))`;
}

/** The locals of the row-layout ChaCha20 code: B blocks × rows a..d, the key rows, the counter ‖ nonce row. */
function rowsLocals(B: number): string {
  const rows = Array.from({ length: B }, (_, j) => ["a", "b", "c", "d"].map((r) => `(local $${r}${j} v128)`).join(" "));
  return `${rows.join(" ")} (local $kb v128) (local $kc v128) (local $dd v128) (local $i i32)`;
}
/** Loads the key rows from `key` and the row (w12, w13, w14, w15) into $kb, $kc, $dd. */
function rowsSetup(key: string, w12: string, w13: string, w14: string, w15: string): string {
  return `${set("kb", `(v128.load align=1 ${key})`)} ${set("kc", `(v128.load offset=16 align=1 ${key})`)}
    ${set("dd", `(i32x4.replace_lane 3 (i32x4.replace_lane 2 (i32x4.replace_lane 1 (i32x4.splat ${w12}) ${w13}) ${w14}) ${w15})`)}`;
}

/** One double round of B interleaved blocks in row layout (locals $a0..$d<B-1>). */
function rowsRound(B: number): string[] {
  const blocks = Array.from({ length: B }, (_, j) => j);
  const inter = (f: (j: number) => string[]): string[] => {
    const per = blocks.map(f);
    const out: string[] = [];
    for (let i = 0; i < per[0]!.length; i++) for (const list of per) out.push(list[i]!);
    return out;
  };
  const qr = inter((j) => quarterRound(`a${j}`, `b${j}`, `c${j}`, `d${j}`));
  const lanes = (r: string, l: number[]): string => set(r, shuffle32(get(r), get(r), l));
  const by1 = [1, 2, 3, 0], by2 = [2, 3, 0, 1], by3 = [3, 0, 1, 2];
  if (OPTIONS.diagonalsABC) {
    // RFC 8439 §2.3: a column round, then the diagonals moved into columns by rotating rows a, b, c by 1, 2, 3 lanes
    // (lane i then holds a[i+1], b[i+2], c[i+3], d[i]: the diagonal through d[i]), and back. Row d, which leaves each
    // quarter round through a byte shuffle, is not rotated, so JSC does not fuse the two into extra mask registers.
    const diag = (al: number[], bl: number[], cl: number[]): string[] =>
      inter((j) => [lanes(`a${j}`, al), lanes(`b${j}`, bl), lanes(`c${j}`, cl)]);
    return [...qr, ...diag(by1, by2, by3), ...qr, ...diag(by3, by2, by1)];
  }
  const diag = (bl: number[], cl: number[], dl: number[]): string[] =>
    inter((j) => [lanes(`b${j}`, bl), lanes(`c${j}`, cl), lanes(`d${j}`, dl)]);
  // RFC 8439 §2.3: a column round, then the diagonals moved into columns by rotating rows b, c, d, and back.
  return [...qr, ...diag(by1, by2, by3), ...qr, ...diag(by3, by2, by1)];
}

/**
 * chacha_pair(key0, ctr0, key1, ctr1, w13, w14, w15, out0, out1) and chacha_triple(key0, ctr0, key1, ctr1, key2, ctr2,
 * w13, w14, w15, out0, out1, out2): two or three keystream blocks with their own keys and counters side by side, for
 * the latency of one: K_1's length block with K_2's Poly1305 key (and K_2's first data block for a short packet), or
 * the last blocks of a packet. Writes 64 bytes to each out.
 */
function chachaMulti(n: 2 | 3): string {
  const blocks = Array.from({ length: n }, (_, j) => j);
  const sigma = `(v128.const i32x4 ${SIGMA.join(" ")})`;
  const dRow = (ctr: string): string =>
    `(i32x4.replace_lane 3 (i32x4.replace_lane 2 (i32x4.replace_lane 1 (i32x4.splat ${ctr}) ${get("w13")}) ${get("w14")}) ${get("w15")})`;
  const init = (j: number): string[] => [
    set(`a${j}`, sigma), set(`b${j}`, `(v128.load align=1 ${get(`key${j}`)})`),
    set(`c${j}`, `(v128.load offset=16 align=1 ${get(`key${j}`)})`), set(`d${j}`, dRow(get(`ctr${j}`))),
    set(`b${j}i`, get(`b${j}`)), set(`c${j}i`, get(`c${j}`)), set(`d${j}i`, get(`d${j}`)),
  ];
  const out = (j: number): string[] => [
    `(v128.store align=1 ${get(`out${j}`)} (i32x4.add ${get(`a${j}`)} ${sigma}))`,
    ...["b", "c", "d"].map((r, k) =>
      `(v128.store offset=${16 * (k + 1)} align=1 ${get(`out${j}`)} (i32x4.add ${get(`${r}${j}`)} ${get(`${r}${j}i`)}))`),
  ];
  const locals = blocks.flatMap((j) => ["a", "b", "c", "d", "bi", "ci", "di"].map((r) => `(local $${r[0]}${j}${r.slice(1)} v128)`));
  const params = [...blocks.flatMap((j) => [`key${j}`, `ctr${j}`]), "w13", "w14", "w15", ...blocks.map((j) => `out${j}`)];
  return `(func $chacha_${n === 2 ? "pair" : "triple"} (export "chacha_${n === 2 ? "pair" : "triple"}")
    ${params.map((p) => `(param $${p} i32)`).join(" ")} ${locals.join(" ")} (local $i i32)
    ${blocks.flatMap(init).join(" ")}
    ${set("i", i32(10))}
    (loop $rounds ${rowsRound(n).join(" ")}
      (br_if $rounds (local.tee $i (i32.sub ${get("i")} ${i32(1)}))))
    ${blocks.flatMap(out).join(" ")})`;
}

/**
 * One step of B blocks in row layout at `$<ptr>`: XORs their keystream in, advances $<ptr> and the counter in $dd.
 * With `hook`, the ten double rounds are unrolled and hook(k) is emitted after double round k (independent work for
 * the scalar units while the vector units run ChaCha20: the stitched seal puts Poly1305 blocks there).
 */
function rowsStep(B: number, ptr: string, hook?: (doubleRound: number) => string[], keystreamOnly = false): string[] {
  const blocks = Array.from({ length: B }, (_, j) => j);
  const round = rowsRound(B);
  // stepConstsFromMemory: σ and the counter increments loaded from LAYOUT.consts (see mulConstFromMemory)
  const cm = OPTIONS.stepConstsFromMemory && OPTIONS.mulConstFromMemory && B <= 3;
  const sigma = cm ? `(v128.load offset=${LAYOUT.consts + 32} ${i32(0)})` : `(v128.const i32x4 ${SIGMA.join(" ")})`;
  const inc = (j: number): string => cm ? `(v128.load offset=${LAYOUT.consts + 32 + 16 * j} ${i32(0)})` : `(v128.const i32x4 ${j} 0 0 0)`;
  const dRow = (j: number): string => (j === 0 ? get("dd") : `(i32x4.add ${get("dd")} ${inc(j)})`);
  const step: string[] = [];
  for (const j of blocks) step.push(set(`a${j}`, sigma), set(`b${j}`, get("kb")), set(`c${j}`, get("kc")), set(`d${j}`, dRow(j)));
  if (hook && OPTIONS.unroll) {
    for (let k = 0; k < 10; k++) step.push(...round, ...hook(k));
  } else if (hook) {
    // the loop counter $i runs 10..1; double round 10 − $i gets hook's work k = 10 − $i when there is some (hook(−1)
    // is that work in terms of $i), work beyond k = 9 follows the loop
    let n = 0;
    while (n < 20 && hook(n).length > 0) n++;
    // In order (Poly1305 is a chain): with e = n − 10 > 0 extra pieces, double rounds t < e take pieces 2t and 2t + 1,
    // the others piece t + e. hook(−1) is the piece at index $hk, hook(−2) the one after it.
    const e = Math.max(0, n - 10);
    const t = `(i32.sub ${i32(10)} ${get("i")})`;
    if (OPTIONS.hookPrePost !== false && n >= 10) {
      // hookPrePost: the e extra pieces around the loop (half before, half after), exactly one piece in every double
      // round: no condition and no select inside the loop
      const pre = OPTIONS.hookPrePost === true ? e >> 1 : Math.min(e, OPTIONS.hookPrePost);
      if (OPTIONS.hookPeel) {
        // hookPeel: the first e double rounds peeled off the loop, two pieces each (between the column and the
        // diagonal round, and after it), the loop's double rounds one piece each between their two rounds
        const half = round.length >> 1;
        // hookSpread f: a piece's statements spread evenly over the last fraction f of the half round before its
        // place instead of all at that place (0: not spread)
        const spread = (vec: string[], piece: string[]): string[] => {
          const ps = piece.flatMap((x) => x.split("\n    "));
          const f = OPTIONS.hookSpread;
          if (!f) return [...vec, ...ps];
          const from = Math.floor(vec.length * (1 - f));
          const out = vec.slice(0, from);
          const rest = vec.slice(from);
          for (let k = 0; k < rest.length; k++) {
            out.push(rest[k]!);
            const a = Math.floor((k * ps.length) / rest.length), b = Math.floor(((k + 1) * ps.length) / rest.length);
            out.push(...ps.slice(a, b));
          }
          return out;
        };
        const first = round.slice(0, half), second = round.slice(half);
        if (OPTIONS.hookExtraAtEnd) {
          // the e extra pieces spread over the end of the step (keystream added and XORed in) instead of peeled rounds
          step.push(set("i", i32(10)), `(loop $rounds`, set("hk", `(i32.sub ${i32(10)} ${get("i")})`),
            ...spread(first, hook(-1)), ...second, `(br_if $rounds (local.tee $i (i32.sub ${get("i")} ${i32(1)}))))`);
          const saved = OPTIONS.hookSpread;
          OPTIONS.hookSpread = 1;
          const tail = spread(finishStep([]), Array.from({ length: e }, (_, k) => hook(10 + k)).flat());
          OPTIONS.hookSpread = saved;
          return [...step, ...tail];
        }
        for (let t = 0; t < e; t++) step.push(...spread(first, hook(2 * t)), ...spread(second, hook(2 * t + 1)));
        step.push(set("i", i32(10 - e)), `(loop $rounds`, set("hk", `(i32.sub ${i32(10 + e)} ${get("i")})`),
          ...(OPTIONS.hookSpreadWhole ? spread(round, hook(-1)) : [...spread(first, hook(-1)), ...second]), `(br_if $rounds (local.tee $i (i32.sub ${get("i")} ${i32(1)}))))`);
        for (let k = 20; hook(k).length > 0; k++) step.push(...hook(k));
        return finishStep(step);
      }
      for (let k = 0; k < pre; k++) step.push(...hook(k));
      if (OPTIONS.hookRoundsPerIteration === 2) {
        // two double rounds and two pieces an iteration: $hk = pre + 2·(5 − $i)
        step.push(set("i", i32(5)), `(loop $rounds`, set("hk", `(i32.sub ${i32(10 + pre)} (i32.shl ${get("i")} ${i32(1)}))`),
          ...round, ...hook(-1), ...round, ...hook(-2), `(br_if $rounds (local.tee $i (i32.sub ${get("i")} ${i32(1)}))))`);
      } else {
        // hookMid: the piece between the column and the diagonal round instead of after both
        const half = OPTIONS.hookMid === false ? round.length : Math.round(round.length * (OPTIONS.hookMid === true ? 0.5 : OPTIONS.hookMid));
        step.push(set("i", i32(10)), `(loop $rounds ${round.slice(0, half).join(" ")}`,
          set("hk", `(i32.sub ${i32(10 + pre)} ${get("i")})`), ...hook(-1), ...round.slice(half),
          `(br_if $rounds (local.tee $i (i32.sub ${get("i")} ${i32(1)}))))`);
      }
      for (let k = 10 + pre; k < n; k++) step.push(...hook(k));
      for (let k = 20; hook(k).length > 0; k++) step.push(...hook(k));
      return finishStep(step);
    }
    step.push(set("i", i32(10)), `(loop $rounds ${round.join(" ")}`,
      n === 0 ? "" : `(if (i32.gt_u ${get("i")} ${i32(10 - Math.min(n, 10))}) (then
        ${set("hk", e === 0 ? t : `(select (i32.shl ${t} ${i32(1)}) (i32.add ${t} ${i32(e)}) (i32.lt_u ${t} ${i32(e)}))`)}
        ${hook(-1).join(" ")}
        ${e === 0 ? "" : `(if (i32.lt_u ${t} ${i32(e)}) (then ${hook(-2).join(" ")}))`}))`,
      `(br_if $rounds (local.tee $i (i32.sub ${get("i")} ${i32(1)}))))`);
    for (let k = 20; hook(k).length > 0; k++) step.push(...hook(k));
  } else {
    const u = OPTIONS.roundsPerIteration;
    step.push(set("i", i32(10 / u)), `(loop $rounds ${Array(u).fill(round.join(" ")).join(" ")}`,
      `(br_if $rounds (local.tee $i (i32.sub ${get("i")} ${i32(1)}))))`);
  }
  return finishStep(step);
  /** The keystream rows added to the input and XORed in (or stored), the counter and pointer advanced. */
  function finishStep(step: string[]): string[] {
    for (const j of blocks) {
      const rows: [string, string][] = [[`a${j}`, sigma], [`b${j}`, get("kb")], [`c${j}`, get("kc")], [`d${j}`, dRow(j)]];
      rows.forEach(([r, input], k) => {
        const off = 64 * j + 16 * k;
        const ks = `(i32x4.add ${get(r)} ${input})`;
        step.push(keystreamOnly ? `(v128.store offset=${off} align=1 ${get(ptr)} ${ks})`
          : `(v128.store offset=${off} align=1 ${get(ptr)} (v128.xor (v128.load offset=${off} align=1 ${get(ptr)}) ${ks}))`);
      });
    }
    step.push(set("dd", `(i32x4.add ${get("dd")} ${inc(B)})`));
    step.push(set(ptr, `(i32.add ${get(ptr)} ${i32(64 * B)})`));
    return step;
  }
}

/**
 * chacha_wide(key, w12, w13, w14, w15, p, n): XORs B·n keystream blocks into p (n ≥ 1), B blocks per step, each block's
 * state as four row vectors; the B blocks' instructions are interleaved so they run in parallel without needing more
 * than 16 vector registers (the four-lane column layout, chachaX4, spills under JSC's allocator).
 */
function chachaRows(B: number): string {
  return `(func $chacha_wide (param $key i32) (param $w12 i32) (param $w13 i32) (param $w14 i32) (param $w15 i32)
    (param $p i32) (param $n4 i32) ${rowsLocals(B)}
    ${rowsSetup(get("key"), get("w12"), get("w13"), get("w14"), get("w15"))}
    (loop $blocks
    ${rowsStep(B, "p", OPTIONS.unroll ? () => [] : undefined).join("\n    ")}
    (br_if $blocks (local.tee $n4 (i32.sub ${get("n4")} ${i32(1)})))))`;
}

/** chacha_block(key, w12, w13, w14, w15, out): one keystream block, rows of the state in four vectors (RFC 8439 §2.3). */
function chachaBlock(): string {
  const diag = (b: number[], c: number[], d: number[]): string[] => [
    set("b", shuffle32(get("b"), get("b"), b)), set("c", shuffle32(get("c"), get("c"), c)),
    set("d", shuffle32(get("d"), get("d"), d)),
  ];
  const round = [
    ...quarterRound("a", "b", "c", "d"),
    ...diag([1, 2, 3, 0], [2, 3, 0, 1], [3, 0, 1, 2]), // diagonals into columns: (0,5,10,15) (1,6,11,12) ...
    ...quarterRound("a", "b", "c", "d"),
    ...diag([3, 0, 1, 2], [2, 3, 0, 1], [1, 2, 3, 0]),
  ];
  return `(func $chacha_block (export "chacha_block") (param $key i32) (param $w12 i32) (param $w13 i32) (param $w14 i32)
    (param $w15 i32) (param $out i32) (local $a v128) (local $b v128) (local $c v128) (local $d v128) (local $b0 v128)
    (local $c0 v128) (local $d0 v128) (local $i i32)
    ${set("a", `(v128.const i32x4 ${SIGMA.join(" ")})`)}
    ${set("b0", `(v128.load align=1 ${get("key")})`)} ${set("c0", `(v128.load offset=16 align=1 ${get("key")})`)}
    ${set("d0", `(i32x4.replace_lane 3 (i32x4.replace_lane 2 (i32x4.replace_lane 1 (i32x4.splat ${get("w12")}) ${get("w13")}) ${get("w14")}) ${get("w15")})`)}
    ${set("b", get("b0"))} ${set("c", get("c0"))} ${set("d", get("d0"))} ${set("i", i32(10))}
    (loop $rounds ${round.join(" ")}
      (br_if $rounds (local.tee $i (i32.sub ${get("i")} ${i32(1)}))))
    (v128.store align=1 ${get("out")} (i32x4.add ${get("a")} (v128.const i32x4 ${SIGMA.join(" ")})))
    (v128.store offset=16 align=1 ${get("out")} (i32x4.add ${get("b")} ${get("b0")}))
    (v128.store offset=32 align=1 ${get("out")} (i32x4.add ${get("c")} ${get("c0")}))
    (v128.store offset=48 align=1 ${get("out")} (i32x4.add ${get("d")} ${get("d0")})))`;
}

/**
 * chacha_xor(key, w12, w13, w14, w15, p, len): XORs `len` bytes of keystream, starting at block counter w12, into p.
 * Whole steps of the wide kernel (64·rows bytes) go through chacha_wide, the rest block by block through chacha_block
 * and LAYOUT.tmp.
 */
function chachaXor(): string {
  const G = OPTIONS.rows || 4; // blocks per step of the wide kernel
  return `(func $chacha_xor (export "chacha_xor") (param $key i32) (param $w12 i32) (param $w13 i32) (param $w14 i32)
    (param $w15 i32) (param $p i32) (param $len i32) (local $n4 i32) (local $i i32) (local $n i32)
    ${set("n4", `(i32.div_u ${get("len")} ${i32(64 * G)})`)}
    (if ${get("n4")} (then
      (call $chacha_wide ${get("key")} ${get("w12")} ${get("w13")} ${get("w14")} ${get("w15")} ${get("p")} ${get("n4")})
      ${set("w12", `(i32.add ${get("w12")} (i32.mul ${get("n4")} ${i32(G)}))`)}
      ${set("p", `(i32.add ${get("p")} (i32.mul ${get("n4")} ${i32(64 * G)}))`)}
      ${set("len", `(i32.sub ${get("len")} (i32.mul ${get("n4")} ${i32(64 * G)}))`)}))
    (block $done (loop $blocks
      (br_if $done (i32.eqz ${get("len")}))
      (call $chacha_block ${get("key")} ${get("w12")} ${get("w13")} ${get("w14")} ${get("w15")} ${i32(LAYOUT.tmp)})
      ${set("w12", `(i32.add ${get("w12")} ${i32(1)})`)}
      ${set("n", `(select ${i32(64)} ${get("len")} (i32.gt_u ${get("len")} ${i32(64)}))`)}
      ${set("len", `(i32.sub ${get("len")} ${get("n")})`)}
      ${set("i", i32(0))}
      (block $bytesDone (loop $vec
        (br_if $bytesDone (i32.gt_u (i32.add ${get("i")} ${i32(16)}) ${get("n")}))
        (v128.store align=1 (i32.add ${get("p")} ${get("i")}) (v128.xor (v128.load align=1 (i32.add ${get("p")} ${get("i")}))
          (v128.load offset=${LAYOUT.tmp} ${get("i")})))
        ${set("i", `(i32.add ${get("i")} ${i32(16)})`)}
        (br $vec)))
      (block $tailDone (loop $byte
        (br_if $tailDone (i32.ge_u ${get("i")} ${get("n")}))
        (i32.store8 (i32.add ${get("p")} ${get("i")}) (i32.xor (i32.load8_u (i32.add ${get("p")} ${get("i")}))
          (i32.load8_u offset=${LAYOUT.tmp} ${get("i")})))
        ${set("i", `(i32.add ${get("i")} ${i32(1)})`)}
        (br $byte)))
      ${set("p", `(i32.add ${get("p")} ${get("n")})`)}
      (br $blocks))))`;
}

/** xor_bytes(dst, src, len): dst[0, len) ^= src[0, len), sixteen bytes at a time. */
function xorBytes(): string {
  const wide = OPTIONS.xorUnroll
    ? `(block $wideDone (loop $wide
      (br_if $wideDone (i32.gt_u (i32.add ${get("i")} ${i32(64)}) ${get("len")}))
      ${[0, 16, 32, 48].map((o) => `(v128.store offset=${o} align=1 (i32.add ${get("dst")} ${get("i")}) (v128.xor (v128.load offset=${o} align=1 (i32.add ${get("dst")} ${get("i")}))
        (v128.load offset=${o} align=1 (i32.add ${get("src")} ${get("i")}))))`).join("\n      ")}
      ${set("i", `(i32.add ${get("i")} ${i32(64)})`)}
      (br $wide)))`
    : "";
  return `(func $xor_bytes (param $dst i32) (param $src i32) (param $len i32) (local $i i32)
    ${wide}
    (block $vecDone (loop $vec
      (br_if $vecDone (i32.gt_u (i32.add ${get("i")} ${i32(16)}) ${get("len")}))
      (v128.store align=1 (i32.add ${get("dst")} ${get("i")}) (v128.xor (v128.load align=1 (i32.add ${get("dst")} ${get("i")}))
        (v128.load align=1 (i32.add ${get("src")} ${get("i")}))))
      ${set("i", `(i32.add ${get("i")} ${i32(16)})`)}
      (br $vec)))
    (block $done (loop $byte
      (br_if $done (i32.ge_u ${get("i")} ${get("len")}))
      (i32.store8 (i32.add ${get("dst")} ${get("i")}) (i32.xor (i32.load8_u (i32.add ${get("dst")} ${get("i")}))
        (i32.load8_u (i32.add ${get("src")} ${get("i")}))))
      ${set("i", `(i32.add ${get("i")} ${i32(1)})`)}
      (br $byte))))`;
}

const M26 = "(i64.const 0x3ffffff)";
const g64 = (n: string): string => `(local.get $${n})`;
/** The i64 locals of the Poly1305 code below. */
const POLY_LOCALS = ["h0", "h1", "h2", "h3", "h4", "r0", "r1", "r2", "r3", "r4", "s1", "s2", "s3", "s4", "z0", "z1", "z2", "z3",
  "z4", "c", "lo", "hi", "hibit", "g0", "g1", "g2", "g3", "g4", "mask", "q0", "q1", "q2", "q3", "q4", "qs1", "qs2", "qs3", "qs4",
  "m0", "m1", "m2", "m3", "m4", "nr0", "nr1", "nr2", "nr3", "nr4", "ns1", "ns2", "ns3", "ns4"].map((n) => `(local $${n} i64)`).join(" ");
/** Where r0..r4, s1..s4 live when the stitched seal reads them from memory (nine i64 in LAYOUT.rs). */
const RS_NAMES = ["r0", "r1", "r2", "r3", "r4", "s1", "s2", "s3", "s4"];

/**
 * RFC 8439 §2.5: clamp r, split into 26-bit limbs; s_k = 5 r_k folds 2^130 ≡ 5 back in. h = 0. (The radix 2^26 form,
 * OPTIONS.radix32 false; polyInit32 below is the default.)
 */
function polyInit(key: string, toMemory: boolean, negToMemory = false, stitched = false): string[] {
  if (OPTIONS.radix32) return polyInit32(key, stitched && OPTIONS.factorsInMemory);
  const out = [
    set("lo", `(i64.load align=1 ${key})`), set("hi", `(i64.load offset=8 align=1 ${key})`),
    set("r0", `(i64.and ${g64("lo")} (i64.const 0x3ffffff))`),
    set("r1", `(i64.and (i64.shr_u ${g64("lo")} (i64.const 26)) (i64.const 0x3ffff03))`),
    set("r2", `(i64.and (i64.or (i64.shr_u ${g64("lo")} (i64.const 52)) (i64.shl ${g64("hi")} (i64.const 12))) (i64.const 0x3ffc0ff))`),
    set("r3", `(i64.and (i64.shr_u ${g64("hi")} (i64.const 14)) (i64.const 0x3f03fff))`),
    set("r4", `(i64.and (i64.shr_u ${g64("hi")} (i64.const 40)) (i64.const 0x00fffff))`),
    ...[1, 2, 3, 4].map((k) => set(`s${k}`, `(i64.mul ${g64(`r${k}`)} (i64.const 5))`)),
    ...[0, 1, 2, 3, 4].map((k) => set(`h${k}`, "(i64.const 0)")),
    set("hibit", "(i64.const 0x1000000)"),
    ...(OPTIONS.polySubChain ? RS_NAMES.map((n) => set(`n${n}`, `(i64.sub (i64.const 0) ${g64(n)})`)) : []),
  ];
  if (negToMemory) RS_NAMES.forEach((n, k) => out.push(`(i64.store offset=${LAYOUT.rs + 8 * k} ${i32(0)} (i64.sub (i64.const 0) ${g64(n)}))`));
  if (toMemory) {
    if (!negToMemory) RS_NAMES.forEach((n, k) => out.push(`(i64.store offset=${LAYOUT.rs + 8 * k} ${i32(0)} ${g64(n)})`));
    for (let k = 0; k < 5; k++) out.push(`(i64.store offset=${LAYOUT.rs + 72 + 8 * k} ${i32(0)} (i64.const 0))`);
  }
  return out;
}

/**
 * One Poly1305 block at address `at` (RFC 8439 §2.5.1: h = (h + m) · r mod 2^130 − 5), 26-bit limbs, i64 products.
 * With `rsInMemory` the factors are loaded from LAYOUT.rs, leaving general registers to the interleaved ChaCha20 code.
 */
function polyBlock(at: string, rsInMemory = false, hInMemory = false, negInMemory = false): string {
  if (OPTIONS.radix32) return polyBlock32(at, negInMemory);
  const factor = (n: string): string =>
    rsInMemory ? `(i64.load offset=${LAYOUT.rs + 8 * RS_NAMES.indexOf(n)} ${i32(0)})` : g64(n);
  const sum = (terms: string[]): string => terms.reduce((acc, t) => `(i64.add ${acc} ${t})`);
  const rs = [["r0", "s4", "s3", "s2", "s1"], ["r1", "r0", "s4", "s3", "s2"], ["r2", "r1", "r0", "s4", "s3"],
    ["r3", "r2", "r1", "r0", "s4"], ["r4", "r3", "r2", "r1", "r0"]];
  const out: string[] = [];
  // In the stitched loop h also waits in memory between blocks (LAYOUT.rs + 72): fewer registers live across ChaCha20.
  if (hInMemory) for (let k = 0; k < 5; k++) out.push(set(`h${k}`, `(i64.load offset=${LAYOUT.rs + 72 + 8 * k} ${i32(0)})`));
  if (OPTIONS.polyInterleave) {
    // Each limb's products are summed onto the carry from the limb below right where they are computed: written as
    // "all five z, then the carry chain", B3 re-associates each z's sum down to the carry's position and keeps the 25
    // products alive until then (spilled to the stack).
    out.push(...polyLimbs(at, MM, false), ...MM.map((m, k) => set(m, `(i64.add ${g64(m)} ${g64(`h${k}`)})`)));
    for (let k = 0; k < 5; k++) {
      if (OPTIONS.polySubChain) {
        // z = c − Σ x_j·(−f): B3 keeps a chain of subtractions in order (one product live at a time), where it
        // rebalances a sum into a tree that needs all five products at once.
        const first = k === 0 ? `(i64.mul ${g64(MM[0]!)} ${factor("r0")})` : g64("c");
        const rest = rs[k]!.map((r, j) => [r, j] as const).filter(([, j]) => k > 0 || j > 0);
        // the negated factors come from memory (LAYOUT.rs, negInMemory) where B3 cannot see that they are negations
        const neg = (r: string): string =>
          negInMemory ? `(i64.load offset=${LAYOUT.rs + 8 * RS_NAMES.indexOf(r)} ${i32(0)})` : g64(`n${r}`);
        out.push(set(`z${k}`, rest.reduce((acc, [r, j]) => `(i64.sub ${acc} (i64.mul ${g64(MM[j]!)} ${neg(r)}))`, first)));
      } else {
        const terms = rs[k]!.map((r, j) => `(i64.mul ${g64(MM[j]!)} ${factor(r)})`);
        out.push(set(`z${k}`, sum(k === 0 ? terms : [g64("c"), ...terms])));
      }
      out.push(set("c", `(i64.shr_u ${g64(`z${k}`)} (i64.const 26))`), set(`h${k}`, `(i64.and ${g64(`z${k}`)} ${M26})`));
    }
    out.push(set("h0", `(i64.add ${g64("h0")} (i64.mul ${g64("c")} (i64.const 5)))`));
    out.push(set("c", `(i64.shr_u ${g64("h0")} (i64.const 26))`), set("h0", `(i64.and ${g64("h0")} ${M26})`));
    out.push(set("h1", `(i64.add ${g64("h1")} ${g64("c")})`));
    if (hInMemory) for (let k = 0; k < 5; k++) out.push(`(i64.store offset=${LAYOUT.rs + 72 + 8 * k} ${i32(0)} ${g64(`h${k}`)})`);
    return out.join("\n    ");
  }
  out.push(
    set("lo", `(i64.load align=1 ${at})`), set("hi", `(i64.load offset=8 align=1 ${at})`),
    set("h0", `(i64.add ${g64("h0")} (i64.and ${g64("lo")} ${M26}))`),
    set("h1", `(i64.add ${g64("h1")} (i64.and (i64.shr_u ${g64("lo")} (i64.const 26)) ${M26}))`),
    set("h2", `(i64.add ${g64("h2")} (i64.and (i64.or (i64.shr_u ${g64("lo")} (i64.const 52)) (i64.shl ${g64("hi")} (i64.const 12))) ${M26}))`),
    set("h3", `(i64.add ${g64("h3")} (i64.and (i64.shr_u ${g64("hi")} (i64.const 14)) ${M26}))`),
    set("h4", `(i64.add ${g64("h4")} (i64.or (i64.shr_u ${g64("hi")} (i64.const 40)) ${g64("hibit")}))`),
  );
  for (let k = 0; k < 5; k++) out.push(set(`z${k}`, sum(rs[k]!.map((r, j) => `(i64.mul ${g64(`h${j}`)} ${factor(r)})`))));
  // Partial carry: limbs back under 2^26 (+ a little), the top carry folded back times 5 (2^130 ≡ 5).
  out.push(set("c", `(i64.shr_u ${g64("z0")} (i64.const 26))`), set("h0", `(i64.and ${g64("z0")} ${M26})`));
  for (let k = 1; k < 5; k++) {
    out.push(set(`z${k}`, `(i64.add ${g64(`z${k}`)} ${g64("c")})`));
    out.push(set("c", `(i64.shr_u ${g64(`z${k}`)} (i64.const 26))`), set(`h${k}`, `(i64.and ${g64(`z${k}`)} ${M26})`));
  }
  out.push(set("h0", `(i64.add ${g64("h0")} (i64.mul ${g64("c")} (i64.const 5)))`));
  out.push(set("c", `(i64.shr_u ${g64("h0")} (i64.const 26))`), set("h0", `(i64.and ${g64("h0")} ${M26})`));
  out.push(set("h1", `(i64.add ${g64("h1")} ${g64("c")})`));
  if (hInMemory) for (let k = 0; k < 5; k++) out.push(`(i64.store offset=${LAYOUT.rs + 72 + 8 * k} ${i32(0)} ${g64(`h${k}`)})`);
  return out.join("\n    ");
}

/** The 26-bit limbs of the 16-byte block at `at` (with the 2^128 bit from $hibit), added to locals `into`. */
function polyLimbs(at: string, into: string[], add: boolean): string[] {
  const limb = [
    `(i64.and ${g64("lo")} ${M26})`, `(i64.and (i64.shr_u ${g64("lo")} (i64.const 26)) ${M26})`,
    `(i64.and (i64.or (i64.shr_u ${g64("lo")} (i64.const 52)) (i64.shl ${g64("hi")} (i64.const 12))) ${M26})`,
    `(i64.and (i64.shr_u ${g64("hi")} (i64.const 14)) ${M26})`, `(i64.or (i64.shr_u ${g64("hi")} (i64.const 40)) ${g64("hibit")})`,
  ];
  return [set("lo", `(i64.load align=1 ${at})`), set("hi", `(i64.load offset=8 align=1 ${at})`),
    ...into.map((n, k) => set(n, add ? `(i64.add ${g64(n)} ${limb[k]})` : limb[k]!))];
}
/** z = Σ x_j · y(k, j) for the five limbs (schoolbook with the 5·r folding), then the partial carry into h. */
function polyMulCarry(terms: [string[], string[], string[]][]): string[] {
  // terms: [x limbs, r limbs, s limbs (index 1..4)] pairs to sum
  const sum = (ts: string[]): string => ts.reduce((acc, t) => `(i64.add ${acc} ${t})`);
  const pick = (r: string[], sl: string[], k: number, j: number): string => (j <= k ? r[k - j]! : sl[k - j + 5]!);
  const out: string[] = [];
  for (let k = 0; k < 5; k++) {
    out.push(set(`z${k}`, sum(terms.flatMap(([x, r, sl]) => x.map((xj, j) => `(i64.mul ${g64(xj)} ${g64(pick(r, sl, k, j))})`)))));
  }
  out.push(set("c", `(i64.shr_u ${g64("z0")} (i64.const 26))`), set("h0", `(i64.and ${g64("z0")} ${M26})`));
  for (let k = 1; k < 5; k++) {
    out.push(set(`z${k}`, `(i64.add ${g64(`z${k}`)} ${g64("c")})`));
    out.push(set("c", `(i64.shr_u ${g64(`z${k}`)} (i64.const 26))`), set(`h${k}`, `(i64.and ${g64(`z${k}`)} ${M26})`));
  }
  out.push(set("h0", `(i64.add ${g64("h0")} (i64.mul ${g64("c")} (i64.const 5)))`));
  out.push(set("c", `(i64.shr_u ${g64("h0")} (i64.const 26))`), set("h0", `(i64.and ${g64("h0")} ${M26})`));
  out.push(set("h1", `(i64.add ${g64("h1")} ${g64("c")})`));
  return out;
}
const H = ["h0", "h1", "h2", "h3", "h4"];
const R = ["r0", "r1", "r2", "r3", "r4"];
const S = ["", "s1", "s2", "s3", "s4"];
const Q = ["q0", "q1", "q2", "q3", "q4"];
const QS = ["", "qs1", "qs2", "qs3", "qs4"];
const MM = ["m0", "m1", "m2", "m3", "m4"];
/** r² (partially reduced, limbs just over 2^26 at most) into $q, 5·r² into $qs, for two blocks per step. h = 0 after. */
function polyInitSquare(): string[] {
  return [
    ...H.map((h, k) => set(h, g64(R[k]!))),
    ...polyMulCarry([[H, R, S]]),
    ...Q.map((q, k) => set(q, g64(H[k]!))),
    ...[1, 2, 3, 4].map((k) => set(QS[k]!, `(i64.mul ${g64(Q[k]!)} (i64.const 5))`)),
    ...H.map((h) => set(h, "(i64.const 0)")),
  ];
}
/**
 * Two Poly1305 blocks at `at` with one carry: h = (h + m1)·r² + m2·r (the same as two steps of RFC 8439 §2.5.1).
 * Every z sums ten products below 2^56, so it stays under 2^60.
 */
function polyPair(at: string): string {
  return [
    ...polyLimbs(at, H, true),
    ...polyLimbs(`(i32.add ${at} ${i32(16)})`, MM, false),
    ...polyMulCarry([[H, Q, QS], [MM, R, S]]),
  ].join("\n    ");
}

/**
 * The block loop of a Poly1305 finish, for either limb layout: every whole block of `$pm[0, $pn)`, then the short last
 * block (its bytes, 0x01, zeros, and no 2^128 bit) staged at LAYOUT.pad.
 */
function polyBlocks(block: (at: string) => string): string {
  return `(block $full (loop $blocks
      (br_if $full (i32.lt_u ${get("pn")} ${i32(16)}))
      ${block(get("pm"))}
      ${set("pm", `(i32.add ${get("pm")} ${i32(16)})`)}
      ${set("pn", `(i32.sub ${get("pn")} ${i32(16)})`)}
      (br $blocks)))
    (if ${get("pn")} (then
      ;; the short last block: its bytes, then 0x01, then zeros, and no 2^128 bit
      (v128.store ${i32(LAYOUT.pad)} (v128.const i64x2 0 0))
      ${set("pi", i32(0))}
      (block $copied (loop $copy
        (br_if $copied (i32.ge_u ${get("pi")} ${get("pn")}))
        (i32.store8 offset=${LAYOUT.pad} ${get("pi")} (i32.load8_u (i32.add ${get("pm")} ${get("pi")})))
        ${set("pi", `(i32.add ${get("pi")} ${i32(1)})`)}
        (br $copy)))
      (i32.store8 offset=${LAYOUT.pad} ${get("pn")} ${i32(1)})
      ${set("hibit", "(i64.const 0)")}
      ${block(i32(LAYOUT.pad))}))`;
}

/**
 * The rest of a Poly1305 computation: every block of `$pm[0, $pn)` (i32 locals, consumed), the short last block, the
 * final reduction and the tag at `out`.
 */
function polyFinish(out: string): string {
  if (OPTIONS.radix32) return polyFinish32(out);
  const carry = (from: string, to: string): string[] => [
    set("c", `(i64.shr_u ${g64(from)} (i64.const 26))`), set(from, `(i64.and ${g64(from)} ${M26})`),
    set(to, `(i64.add ${g64(to)} ${g64("c")})`),
  ];
  return `${polyBlocks(polyBlock)}
    ;; full carry, then h mod p: take h + 5 − 2^130 when it does not go negative (constant time)
    ${[...carry("h1", "h2"), ...carry("h2", "h3"), ...carry("h3", "h4")].join(" ")}
    ${set("c", `(i64.shr_u ${g64("h4")} (i64.const 26))`)} ${set("h4", `(i64.and ${g64("h4")} ${M26})`)}
    ${set("h0", `(i64.add ${g64("h0")} (i64.mul ${g64("c")} (i64.const 5)))`)}
    ${carry("h0", "h1").join(" ")}
    ${set("g0", `(i64.add ${g64("h0")} (i64.const 5))`)}
    ${set("c", `(i64.shr_u ${g64("g0")} (i64.const 26))`)} ${set("g0", `(i64.and ${g64("g0")} ${M26})`)}
    ${[1, 2, 3].map((k) => `${set(`g${k}`, `(i64.add ${g64(`h${k}`)} ${g64("c")})`)} ${set("c", `(i64.shr_u ${g64(`g${k}`)} (i64.const 26))`)} ${set(`g${k}`, `(i64.and ${g64(`g${k}`)} ${M26})`)}`).join(" ")}
    ${set("g4", `(i64.sub (i64.add ${g64("h4")} ${g64("c")}) (i64.const 0x4000000))`)}
    ${set("mask", `(i64.sub (i64.shr_u ${g64("g4")} (i64.const 63)) (i64.const 1))`)}
    ${[0, 1, 2, 3, 4].map((k) => set(`h${k}`, `(i64.or (i64.and ${g64(`h${k}`)} (i64.xor ${g64("mask")} (i64.const -1))) (i64.and ${g64(`g${k}`)} ${g64("mask")}))`)).join(" ")}
    ;; tag = (h + s) mod 2^128; s was kept in the one-time key at LAYOUT.polyKey + 16
    ${set("lo", `(i64.or (i64.or ${g64("h0")} (i64.shl ${g64("h1")} (i64.const 26))) (i64.shl ${g64("h2")} (i64.const 52)))`)}
    ${set("hi", `(i64.or (i64.or (i64.shr_u ${g64("h2")} (i64.const 12)) (i64.shl ${g64("h3")} (i64.const 14))) (i64.shl ${g64("h4")} (i64.const 40)))`)}
    ${set("c", `(i64.load offset=16 align=1 ${get("pk")})`)}
    ${set("lo", `(i64.add ${g64("lo")} ${g64("c")})`)}
    ${set("hi", `(i64.add (i64.add ${g64("hi")} (i64.load offset=24 align=1 ${get("pk")})) (i64.extend_i32_u (i64.lt_u ${g64("lo")} ${g64("c")})))`)}
    (i64.store align=1 ${out} ${g64("lo")}) (i64.store offset=8 align=1 ${out} ${g64("hi")})`;
}

const M32 = "(i64.const 0xffffffff)";
/**
 * Poly1305 in radix 2^32 (the form of OpenSSL's poly1305.c for 32-bit targets): h = h0 + h1·2^32 + ... + h4·2^128
 * with h0..h3 32-bit words (h0 may exceed 2^32 a little between blocks) and h4 ≤ 3, r = r0..r3. Clamping clears the
 * low two bits of r1..r3, so s_k = r_k + r_k/4 = 5·r_k/4 folds r_k·2^128 ≡ s_k exactly (2^130 ≡ 5). Per block 20
 * products (every one below 2^61, a sum of five below 2^63) where radix 2^26 takes 25, and the message words need
 * no splitting into limbs.
 */
function polyInit32(key: string, factorsToMemory = false): string[] {
  const store = factorsToMemory ? FACTORS32.map((n, k) => `(i64.store offset=${LAYOUT.rs + 8 * k} ${i32(0)} ${g64(n)})`) : [];
  return [
    set("lo", `(i64.and (i64.load align=1 ${key}) (i64.const 0x0ffffffc0fffffff))`),
    set("hi", `(i64.and (i64.load offset=8 align=1 ${key}) (i64.const 0x0ffffffc0ffffffc))`),
    set("r0", `(i64.and ${g64("lo")} ${M32})`), set("r1", `(i64.shr_u ${g64("lo")} (i64.const 32))`),
    set("r2", `(i64.and ${g64("hi")} ${M32})`), set("r3", `(i64.shr_u ${g64("hi")} (i64.const 32))`),
    ...[1, 2, 3].map((k) => set(`s${k}`, `(i64.add ${g64(`r${k}`)} (i64.shr_u ${g64(`r${k}`)} (i64.const 2)))`)),
    ...[0, 1, 2, 3, 4].map((k) => set(`h${k}`, "(i64.const 0)")),
    set("hibit", "(i64.const 1)"),
    ...store,
  ];
}
/** The radix 2^32 factors in the order factorsInMemory keeps them at LAYOUT.rs. */
const FACTORS32 = ["r0", "r1", "r2", "r3", "s1", "s2", "s3"];
/** One block at `at` in radix 2^32: h += m (carried, h4 gets the 2^128 bit $hibit), h ·= r, carry, fold h4's top. */
function polyBlock32(at: string, factorsInMemory = false): string {
  const sum = (terms: string[]): string => terms.reduce((acc, t) => `(i64.add ${acc} ${t})`);
  // factorsInMemory: r and s read from LAYOUT.rs at each product (loads B3 cannot keep in registers), leaving the
  // general registers to h across the ChaCha20 code of the stitched loop
  const factor = (f: string): string =>
    factorsInMemory ? `(i64.load offset=${LAYOUT.rs + 8 * FACTORS32.indexOf(f)} ${i32(0)})` : g64(f);
  const mul = (h: string, f: string): string => `(i64.mul ${g64(h)} ${factor(f)})`;
  const words = [`(i64.and ${g64("lo")} ${M32})`, `(i64.shr_u ${g64("lo")} (i64.const 32))`,
    `(i64.and ${g64("hi")} ${M32})`, `(i64.shr_u ${g64("hi")} (i64.const 32))`];
  const out = [set("lo", `(i64.load align=1 ${at})`), set("hi", `(i64.load offset=8 align=1 ${at})`)];
  out.push(set("c", `(i64.add ${g64("h0")} ${words[0]})`), set("h0", `(i64.and ${g64("c")} ${M32})`));
  for (let k = 1; k < 4; k++) {
    out.push(set("c", `(i64.add (i64.add ${g64(`h${k}`)} ${words[k]}) (i64.shr_u ${g64("c")} (i64.const 32)))`));
    out.push(set(`h${k}`, `(i64.and ${g64("c")} ${M32})`));
  }
  out.push(set("h4", `(i64.add (i64.add ${g64("h4")} ${g64("hibit")}) (i64.shr_u ${g64("c")} (i64.const 32)))`));
  const terms = [
    [mul("h0", "r0"), mul("h1", "s3"), mul("h2", "s2"), mul("h3", "s1")],
    [mul("h0", "r1"), mul("h1", "r0"), mul("h2", "s3"), mul("h3", "s2"), mul("h4", "s1")],
    [mul("h0", "r2"), mul("h1", "r1"), mul("h2", "r0"), mul("h3", "s3"), mul("h4", "s2")],
    [mul("h0", "r3"), mul("h1", "r2"), mul("h2", "r1"), mul("h3", "r0"), mul("h4", "s3")],
  ];
  if (OPTIONS.polyInterleave) {
    // each z_k summed onto the carry from z_(k-1) where it is computed, new h_k written as soon as it is known (the
    // old h_k is still needed by later z: kept in m_k)
    out.push(...[0, 1, 2, 3, 4].map((k) => set(`m${k}`, g64(`h${k}`))));
    const mm = (t: string): string => t.replace(/\$h(\d)/g, "$m$1");
    for (let k = 0; k < 4; k++) {
      out.push(set(`z${k}`, sum(k === 0 ? terms[0]!.map(mm) : [`(i64.shr_u ${g64(`z${k - 1}`)} (i64.const 32))`, ...terms[k]!.map(mm)])));
      out.push(set(`h${k}`, `(i64.and ${g64(`z${k}`)} ${M32})`));
    }
    out.push(set("h4", `(i64.add (i64.mul ${g64("m4")} ${g64("r0")}) (i64.shr_u ${g64("z3")} (i64.const 32)))`));
  } else {
    out.push(...terms.map((t, k) => set(`z${k}`, sum(t))), set("h4", mul("h4", "r0")), set("h0", `(i64.and ${g64("z0")} ${M32})`));
    for (let k = 1; k < 4; k++) {
      out.push(set(`z${k}`, `(i64.add ${g64(`z${k}`)} (i64.shr_u ${g64(`z${k - 1}`)} (i64.const 32)))`));
      out.push(set(`h${k}`, `(i64.and ${g64(`z${k}`)} ${M32})`));
    }
    out.push(set("h4", `(i64.add ${g64("h4")} (i64.shr_u ${g64("z3")} (i64.const 32)))`));
  }
  // h4·2^128 = (h4 mod 4)·2^128 + (h4 div 4)·2^130, and 2^130 ≡ 5: add 5·(h4 div 4) = (h4 & ~3) + (h4 >> 2) to h0
  out.push(set("c", OPTIONS.fold5Shift ? `(i64.add (i64.and ${g64("h4")} (i64.const -4)) (i64.shr_u ${g64("h4")} (i64.const 2)))`
    : `(i64.mul (i64.shr_u ${g64("h4")} (i64.const 2)) (i64.const 5))`), set("h4", `(i64.and ${g64("h4")} (i64.const 3))`));
  out.push(set("h0", `(i64.add ${g64("h0")} ${g64("c")})`));
  return out.join("\n    ");
}
/** polyFinish in radix 2^32. */
function polyFinish32(out: string): string {
  const carryAll = (): string[] => {
    const o = [set("c", g64("h0")), set("h0", `(i64.and ${g64("c")} ${M32})`)];
    for (let k = 1; k < 4; k++) {
      o.push(set("c", `(i64.add ${g64(`h${k}`)} (i64.shr_u ${g64("c")} (i64.const 32)))`), set(`h${k}`, `(i64.and ${g64("c")} ${M32})`));
    }
    o.push(set("h4", `(i64.add ${g64("h4")} (i64.shr_u ${g64("c")} (i64.const 32)))`));
    return o;
  };
  return `${polyBlocks(polyBlock32)}
    ;; full carry (h < 2^130 + 2^35 after it), then h mod p: h + 5 − 2^130 when that does not go negative (constant time)
    ${carryAll().join(" ")}
    ${set("c", `(i64.mul (i64.shr_u ${g64("h4")} (i64.const 2)) (i64.const 5))`)} ${set("h4", `(i64.and ${g64("h4")} (i64.const 3))`)}
    ${set("h0", `(i64.add ${g64("h0")} ${g64("c")})`)}
    ${carryAll().join(" ")}
    ${set("c", `(i64.add ${g64("h0")} (i64.const 5))`)} ${set("g0", `(i64.and ${g64("c")} ${M32})`)}
    ${[1, 2, 3].map((k) => `${set("c", `(i64.add ${g64(`h${k}`)} (i64.shr_u ${g64("c")} (i64.const 32)))`)} ${set(`g${k}`, `(i64.and ${g64("c")} ${M32})`)}`).join(" ")}
    ${set("g4", `(i64.add ${g64("h4")} (i64.shr_u ${g64("c")} (i64.const 32)))`)}
    ;; mask = all ones when h + 5 reaches 2^130 (then h ≥ p: take g)
    ${set("mask", `(i64.sub (i64.const 0) (i64.shr_u ${g64("g4")} (i64.const 2)))`)}
    ${[0, 1, 2, 3].map((k) => set(`h${k}`, `(i64.or (i64.and ${g64(`h${k}`)} (i64.xor ${g64("mask")} (i64.const -1))) (i64.and ${g64(`g${k}`)} ${g64("mask")}))`)).join(" ")}
    ;; tag = (h + s) mod 2^128; s was kept in the one-time key at LAYOUT.polyKey + 16
    ${set("lo", `(i64.or ${g64("h0")} (i64.shl ${g64("h1")} (i64.const 32)))`)}
    ${set("hi", `(i64.or ${g64("h2")} (i64.shl ${g64("h3")} (i64.const 32)))`)}
    ${set("c", `(i64.load offset=16 align=1 ${get("pk")})`)}
    ${set("lo", `(i64.add ${g64("lo")} ${g64("c")})`)}
    ${set("hi", `(i64.add (i64.add ${g64("hi")} (i64.load offset=24 align=1 ${get("pk")})) (i64.extend_i32_u (i64.lt_u ${g64("lo")} ${g64("c")})))`)}
    (i64.store align=1 ${out} ${g64("lo")}) (i64.store offset=8 align=1 ${out} ${g64("hi")})`;
}

/** poly1305(key, m, len, out): the 16-byte tag of m[0, len) under the 32-byte one-time key (RFC 8439 §2.5). */
function poly1305(): string {
  return `(func $poly1305 (export "poly1305") (param $pk i32) (param $pm i32) (param $pn i32) (param $out i32)
    ${POLY_LOCALS} (local $pi i32)
    ${polyInit(get("pk"), false).join(" ")}
    ${polyFinish(get("out"))})`;
}

/** Byte swap: the uint64 big-endian sequence number puts bswap(seq) in state word 15 (PROTOCOL.chacha20poly1305). */
const BSWAP = (v: string): string =>
  `(i32.or (i32.and (i32.rotl ${v} ${i32(8)}) ${i32(0x00ff00ff)}) (i32.and (i32.rotr ${v} ${i32(8)}) ${i32(0xff00ff00 | 0)}))`;

/**
 * The packet functions of chacha20-poly1305@openssh.com. `slot` holds K_2 (main key, 32 bytes) then K_1 (length key);
 * `p` is the packet (4-byte length, `len` bytes, 16-byte tag). Nonce = uint64 BE sequence number, ChaCha20 with 64-bit
 * counter: state words 12..15 = (counter, 0, 0, bswap(seq)).
 */
function sshPacket(): string {
  // the Poly1305 key and K_1's block 0 (LAYOUT.polyKey, LAYOUT.tmp: 128 contiguous bytes) do not outlive the packet
  const wipe = [0, 16, 32, 48, 64, 80, 96, 112].map((o) => `(v128.store offset=${o} ${i32(LAYOUT.polyKey)} (v128.const i64x2 0 0))`).join(" ");
  const polyKey = `(call $chacha_block ${get("slot")} ${i32(0)} ${i32(0)} ${i32(0)} ${get("n")} ${i32(LAYOUT.polyKey)})`;
  const lengthXor = `(call $chacha_xor (i32.add ${get("slot")} ${i32(32)}) ${i32(0)} ${i32(0)} ${i32(0)} ${get("n")} ${get("p")} ${i32(4)})`;
  const restXor = `(call $chacha_xor ${get("slot")} ${i32(1)} ${i32(0)} ${i32(0)} ${get("n")} (i32.add ${get("p")} ${i32(4)}) ${get("len")})`;
  // K_1's block 0 (length) and K_2's block 0 (Poly1305 key) side by side; the length is XORed from LAYOUT.tmp.
  const lengthAndPolyKey = `(call $chacha_pair (i32.add ${get("slot")} ${i32(32)}) ${i32(0)} ${get("slot")} ${i32(0)} ${i32(0)} ${i32(0)}
    ${get("n")} ${i32(LAYOUT.tmp)} ${i32(LAYOUT.polyKey)})`;
  const lengthXorTmp = `(i32.store align=1 ${get("p")} (i32.xor (i32.load align=1 ${get("p")}) (i32.load ${i32(LAYOUT.tmp)})))`;
  /** Keystream of K_2 blocks ctr, ctr + 1, ctr + 2 (as many as `rest` bytes need, up to three) to out, out + 64, ... */
  const tailBlocks = (rest: string, ctr: string, out: string): string => `(if (i32.gt_u ${rest} ${i32(128)})
        (then (call $chacha_triple ${get("slot")} ${ctr} ${get("slot")} (i32.add ${ctr} ${i32(1)}) ${get("slot")} (i32.add ${ctr} ${i32(2)})
          ${i32(0)} ${i32(0)} ${get("n")} ${out} (i32.add ${out} ${i32(64)}) (i32.add ${out} ${i32(128)})))
        (else (if (i32.gt_u ${rest} ${i32(64)})
          (then (call $chacha_pair ${get("slot")} ${ctr} ${get("slot")} (i32.add ${ctr} ${i32(1)}) ${i32(0)} ${i32(0)}
            ${get("n")} ${out} (i32.add ${out} ${i32(64)})))
          (else (call $chacha_block ${get("slot")} ${ctr} ${i32(0)} ${i32(0)} ${get("n")} ${out})))))`;
  // A packet of at most 64 bytes after the length: K_1's block 0, K_2's blocks 0 and 1 side by side, then done.
  const shortBlocks = `(call $chacha_triple (i32.add ${get("slot")} ${i32(32)}) ${i32(0)} ${get("slot")} ${i32(0)} ${get("slot")} ${i32(1)}
      ${i32(0)} ${i32(0)} ${get("n")} ${i32(LAYOUT.tmp)} ${i32(LAYOUT.polyKey)} ${i32(LAYOUT.tail)})`;
  const B = OPTIONS.rows || 2;
  const wipeRs = Array.from({ length: 7 }, (_, k) => `(v128.store offset=${LAYOUT.rs + 16 * k} ${i32(0)} (v128.const i64x2 0 0))`).join(" ");
  // Stitched seal: step k encrypts 64·B bytes with K_2 while Poly1305 absorbs the previous step's ciphertext (ChaCha20
  // keeps the vector units busy, Poly1305 the integer multiplier; bench/crypto-chachapoly.ts "seal 32 KiB").
  const polyPerStep = (64 * B) / 16;
  // hook(k): Poly1305 block k of the step; in the looped form hook(−1) is block $hk and hook(−2) block $hk + 1
  const hook = (k: number): string[] => {
    if (OPTIONS.polyPairs) {
      if (k < 0) return k === -1 ? [polyPair(`(i32.add ${get("pm")} (i32.shl ${get("hk")} ${i32(5)}))`)] : [];
      return k < polyPerStep / 2 ? [polyPair(`(i32.add ${get("pm")} ${i32(32 * k)})`)] : [];
    }
    const rs = [OPTIONS.rsInMemory, OPTIONS.hInMemory, OPTIONS.radix32 ? OPTIONS.factorsInMemory : OPTIONS.polySubChain] as const;
    if (k < 0) return [polyBlock(`(i32.add ${get("pm")} (i32.add (i32.shl ${get("hk")} ${i32(4)}) ${i32(k === -2 ? 16 : 0)}))`, ...rs)];
    return k < polyPerStep ? [polyBlock(`(i32.add ${get("pm")} ${i32(16 * k)})`, ...rs)] : [];
  };
  const seal = OPTIONS.stitch
    ? `(func $ssh_seal (export "ssh_seal") (param $slot i32) (param $seq i32) (param $p i32) (param $len i32) (local $n i32)
    (local $q i32) (local $hk i32) (local $steps i32) (local $pk i32) (local $pm i32) (local $pn i32) (local $pi i32) ${POLY_LOCALS} ${rowsLocals(B)}
    ${set("n", BSWAP(get("seq")))}
    (if (i32.le_u ${get("len")} ${i32(64)}) (then
      ${shortBlocks}
      ${lengthXorTmp}
      (call $xor_bytes (i32.add ${get("p")} ${i32(4)}) ${i32(LAYOUT.tail)} ${get("len")})
      (call $poly1305 ${i32(LAYOUT.polyKey)} ${get("p")} (i32.add ${get("len")} ${i32(4)}) (i32.add (i32.add ${get("p")} ${i32(4)}) ${get("len")}))
      ${wipe}
      (return)))
    ${lengthAndPolyKey}
    ${lengthXorTmp}
    ${set("pk", i32(LAYOUT.polyKey))}
    ${polyInit(get("pk"), OPTIONS.rsInMemory || OPTIONS.hInMemory, OPTIONS.polySubChain, true).join(" ")}
    ${OPTIONS.polyPairs ? polyInitSquare().join(" ") : ""}
    ${rowsSetup(get("slot"), i32(1), i32(0), i32(0), get("n"))}
    ${set("q", `(i32.add ${get("p")} ${i32(4)})`)} ${set("pm", get("p"))}
    ${set("steps", `(i32.div_u ${get("len")} ${i32(64 * B)})`)}
    (if ${get("steps")} (then
      ${rowsStep(B, "q").join("\n      ")}
      (block $done (loop $stitched
        (br_if $done (i32.eqz (local.tee $steps (i32.sub ${get("steps")} ${i32(1)}))))
        ${rowsStep(B, "q", hook).join("\n        ")}
        ${set("pm", `(i32.add ${get("pm")} ${i32(64 * B)})`)}
        (br $stitched)))))
    ;; the last (len mod 64·B) bytes: two blocks side by side (or one) into LAYOUT.tail, then XORed in
    ${set("pi", `(i32x4.extract_lane 0 ${get("dd")})`)}
    (block $tailDone (loop $tail
      ${set("steps", `(i32.sub (i32.add ${get("p")} (i32.add ${get("len")} ${i32(4)})) ${get("q")})`)}
      (br_if $tailDone (i32.eqz ${get("steps")}))
      ${tailBlocks(get("steps"), get("pi"), i32(LAYOUT.tail))}
      ${set("steps", `(select ${i32(192)} ${get("steps")} (i32.gt_u ${get("steps")} ${i32(192)}))`)}
      (call $xor_bytes ${get("q")} ${i32(LAYOUT.tail)} ${get("steps")})
      ${set("q", `(i32.add ${get("q")} ${get("steps")})`)} ${set("pi", `(i32.add ${get("pi")} ${i32(3)})`)}
      (br $tail)))
    ${set("pn", `(i32.sub (i32.add ${get("p")} (i32.add ${get("len")} ${i32(4)})) ${get("pm")})`)}
    ${OPTIONS.hInMemory ? [0, 1, 2, 3, 4].map((k) => set(`h${k}`, `(i64.load offset=${LAYOUT.rs + 72 + 8 * k} ${i32(0)})`)).join(" ") : ""}
    ${polyFinish(`(i32.add (i32.add ${get("p")} ${i32(4)}) ${get("len")})`)}
    ${wipe} ${wipeRs})
  `
    : `(func $ssh_seal (export "ssh_seal") (param $slot i32) (param $seq i32) (param $p i32) (param $len i32) (local $n i32)
    ${set("n", BSWAP(get("seq")))}
    ${lengthXor}
    ${restXor}
    ${polyKey}
    (call $poly1305 ${i32(LAYOUT.polyKey)} ${get("p")} (i32.add ${get("len")} ${i32(4)}) (i32.add (i32.add ${get("p")} ${i32(4)}) ${get("len")}))
    ${wipe})
  `;
  const compare = `${set("t", `(i32.add (i32.add ${get("p")} ${i32(4)}) ${get("len")})`)}
    ;; constant-time tag comparison, before any plaintext exists
    ${set("ok", `(i64.eqz (i64.or (i64.xor (i64.load ${i32(LAYOUT.tag)}) (i64.load align=1 ${get("t")}))
      (i64.xor (i64.load offset=8 ${i32(LAYOUT.tag)}) (i64.load offset=8 align=1 ${get("t")}))))`)}`;
  const openPlain = `(func $ssh_open (export "ssh_open") (param $slot i32) (param $seq i32) (param $p i32) (param $len i32) (param $ks i32) (result i32)
    (local $n i32) (local $t i32) (local $ok i32)
    ${set("n", BSWAP(get("seq")))}
    ${polyKey}
    (call $poly1305 ${i32(LAYOUT.polyKey)} ${get("p")} (i32.add ${get("len")} ${i32(4)}) ${i32(LAYOUT.tag)})
    ${wipe}
    ${set("t", `(i32.add (i32.add ${get("p")} ${i32(4)}) ${get("len")})`)}
    ;; constant-time tag comparison, before any decryption
    ${set("ok", `(i64.eqz (i64.or (i64.xor (i64.load ${i32(LAYOUT.tag)}) (i64.load align=1 ${get("t")}))
      (i64.xor (i64.load offset=8 ${i32(LAYOUT.tag)}) (i64.load offset=8 align=1 ${get("t")}))))`)}
    (if ${get("ok")} (then ${restXor} ${lengthXor}))
    ${get("ok")})
  `;
  // Stitched open: Poly1305 over the ciphertext while ChaCha20 writes the keystream to $ks (len + 128 bytes of scratch
  // that the caller provides, away from the packet); only a good tag lets the keystream be XORed in. Nothing is
  // decrypted before the tag check.
  const openStitched = `(func $ssh_open (export "ssh_open") (param $slot i32) (param $seq i32) (param $p i32) (param $len i32) (param $ks i32) (result i32)
    (local $n i32) (local $t i32) (local $ok i32) (local $q i32) (local $hk i32) (local $steps i32) (local $ctr i32) (local $rest i32)
    (local $pk i32) (local $pm i32) (local $pn i32) (local $pi i32) ${POLY_LOCALS} ${rowsLocals(B)}
    ${set("n", BSWAP(get("seq")))}
    (if (i32.le_u ${get("len")} ${i32(64)}) (then
      ${shortBlocks}
      (call $poly1305 ${i32(LAYOUT.polyKey)} ${get("p")} (i32.add ${get("len")} ${i32(4)}) ${i32(LAYOUT.tag)})
      ${compare}
      (if ${get("ok")} (then
        (call $xor_bytes (i32.add ${get("p")} ${i32(4)}) ${i32(LAYOUT.tail)} ${get("len")})
        ${lengthXorTmp}))
      ${wipe}
      (return ${get("ok")})))
    ${lengthAndPolyKey}
    ${set("pk", i32(LAYOUT.polyKey))}
    ${polyInit(get("pk"), false, OPTIONS.polySubChain, true).join(" ")}
    ${OPTIONS.polyPairs ? polyInitSquare().join(" ") : ""}
    ${rowsSetup(get("slot"), i32(1), i32(0), i32(0), get("n"))}
    ${set("q", get("ks"))} ${set("pm", get("p"))}
    ${set("steps", `(i32.div_u ${get("len")} ${i32(64 * B)})`)}
    (block $done (loop $stitched
      (br_if $done (i32.eqz ${get("steps")}))
      ${rowsStep(B, "q", hook, true).join("\n      ")}
      ${set("pm", `(i32.add ${get("pm")} ${i32(64 * B)})`)}
      ${set("steps", `(i32.sub ${get("steps")} ${i32(1)})`)}
      (br $stitched)))
    ;; keystream for the last (len mod 64·B) bytes: whole blocks, two side by side (the area has room for them)
    ${set("ctr", `(i32x4.extract_lane 0 ${get("dd")})`)}
    (block $ksDone (loop $ksBlocks
      ${set("rest", `(i32.sub (i32.add ${get("ks")} ${get("len")}) ${get("q")})`)}
      (br_if $ksDone (i32.le_s ${get("rest")} ${i32(0)}))
      ${tailBlocks(get("rest"), get("ctr"), get("q"))}
      ${set("ctr", `(i32.add ${get("ctr")} ${i32(3)})`)} ${set("q", `(i32.add ${get("q")} ${i32(192)})`)}
      (br $ksBlocks)))
    ${set("pn", `(i32.sub (i32.add ${get("p")} (i32.add ${get("len")} ${i32(4)})) ${get("pm")})`)}
    ${polyFinish(i32(LAYOUT.tag))}
    ${compare}
    (if ${get("ok")} (then
      (call $xor_bytes (i32.add ${get("p")} ${i32(4)}) ${get("ks")} ${get("len")})
      ${lengthXorTmp}))
    ${wipe} ${OPTIONS.polySubChain || (OPTIONS.radix32 && OPTIONS.factorsInMemory) ? wipeRs : ""}
    ${get("ok")})
  `;
  return `${seal}  ${OPTIONS.stitchOpen ? openStitched : openPlain}  (func $ssh_length (export "ssh_length") (param $slot i32) (param $seq i32) (param $p i32) (result i32) (local $n i32)
    (call $chacha_block (i32.add ${get("slot")} ${i32(32)}) ${i32(0)} ${i32(0)} ${i32(0)} ${BSWAP(get("seq"))} ${i32(LAYOUT.tmp)})
    ${set("n", `(i32.xor (i32.load align=1 ${get("p")}) (i32.load ${i32(LAYOUT.tmp)}))`)}
    ${BSWAP(get("n"))})`;
}

/** A 32-bit little-endian word as WAT string escapes. */
const le32 = (v: number): string => [0, 8, 16, 24].map((b) => `\\${((v >>> b) & 0xff).toString(16).padStart(2, "0")}`).join("");

/** The whole module as WAT text. */
export function chachaWat(): string {
  if (OPTIONS.radix32 && (OPTIONS.polyPairs || OPTIONS.hInMemory || OPTIONS.rsInMemory || OPTIONS.polySubChain)) {
    throw new Error("radix32 Poly1305 has no polyPairs, hInMemory, rsInMemory or polySubChain form");
  }
  return `;; GENERATED by scripts/gen-chacha-wasm.ts
(module
  (import "env" "memory" (memory 1 ${MAX_PAGES} shared))
  ${OPTIONS.mulConstFromMemory ? `(data (i32.const ${LAYOUT.consts}) "${[...[12, 7].flatMap((n) => Array(4).fill(1 << n)), ...SIGMA,
    1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0].map(le32).join("")}")` : ""}
  ${OPTIONS.rows ? chachaRows(OPTIONS.rows) : chachaX4()}
  ${chachaBlock()}
  ${chachaMulti(2)}
  ${chachaMulti(3)}
  ${chachaXor()}
  ${xorBytes()}
  ${poly1305()}
  ${sshPacket()}
)
`;
}

/** Assembles chachaWat() with wabt; deterministic (no names section). */
export async function generateChaChaWasm(wat: string = chachaWat()): Promise<Uint8Array> {
  const wabt = await wabtInit();
  // wabt 1.0.39's validator refuses shared memories whatever the features say: validate the same text with an
  // unshared memory, then assemble the real one (JSC validates that when it compiles; a test does too).
  const unshared = wabt.parseWat("chacha.wat", wat.replace(" shared))", "))"), { simd: true });
  try {
    unshared.resolveNames();
    unshared.validate();
  } finally {
    unshared.destroy();
  }
  const mod = wabt.parseWat("chacha.wat", wat, { simd: true, threads: true });
  try {
    mod.resolveNames();
    return Uint8Array.from(mod.toBinary({ log: false, write_debug_names: false, canonicalize_lebs: true }).buffer);
  } finally {
    mod.destroy();
  }
}

/** The text of core/crypto/chacha-wasm.generated.ts for `bytes`. */
export function generatedSource(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString("base64");
  const lines = b64.match(/.{1,116}/g) ?? [];
  return `// GENERATED by scripts/gen-chacha-wasm.ts (bun scripts/gen-chacha-wasm.ts): do not edit.
// The WebAssembly kernels of chacha20-poly1305@openssh.com, ${bytes.length} bytes, base64.
/** The module bytes as base64; core/crypto/chacha20.ts compiles them once per process. */
export const CHACHA_WASM_BASE64: string =
${lines.map((l, i) => `  "${l}"${i === lines.length - 1 ? ";" : " +"}`).join("\n")}
`;
}

if (import.meta.main) {
  if (process.argv.includes("--wat")) {
    process.stdout.write(chachaWat());
  } else {
    const bytes = await generateChaChaWasm();
    const target = join(import.meta.dir, "..", "core", "crypto", "chacha-wasm.generated.ts");
    writeFileSync(target, generatedSource(bytes));
    console.log(`wrote ${target} (${bytes.length} bytes of wasm)`);
  }
}
