/**
 * The WebAssembly SIMD kernels against the JavaScript reference kernels:
 * same results within float32 rounding on random (and awkward) shapes, every
 * transpose combination, offsets and leading dimensions, accumulate on and
 * off, operands inside and outside the wasm heap; networks trained with
 * either backend agree; a long training loop allocates nothing.
 *
 * Relaxed SIMD is switched on (v8 flag) before the library is imported, so
 * both the plain and the relaxed module are tested where the runtime has both.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const lib = await import('../src/index.js');
const { jsKernels, Network, Rng, allocate, useKernels, loadWasmKernels, wasmSupport, cellType, getKernels } = lib;
type Kernels = import('../src/core/kernels.js').Kernels;
type WasmKernels = import('../src/kernels/wasm.js').WasmKernels;
type Float = import('../src/core/tensor.js').Float;

const support = wasmSupport();
const variants: WasmKernels[] = [];
if (support.simd) {
  variants.push(loadWasmKernels({ relaxed: false }));
  if (support.relaxedSimd) variants.push(loadWasmKernels({ relaxed: true }));
}

function randomArray(rng: InstanceType<typeof Rng>, n: number, where: 'heap' | 'js', k: WasmKernels): Float32Array {
  const a = where === 'heap' ? k.heap.floats(n)! : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

test('WebAssembly SIMD is detected on Node 20, with shared memory', () => {
  assert.equal(support.simd, true);
  assert.equal(support.sharedMemory, true);
  assert.equal(getKernels().name.startsWith('wasm'), true, 'importing the library makes the wasm kernels the default');
});

test('gemm: wasm equals js within float32 rounding on random shapes, transposes, views and accumulation', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1], [7, 13, 5], [129, 65, 33], [3, 17, 300], [2, 9, 9], [4, 8, 600], [5, 600, 7], [32, 512, 128], [13, 7, 1],
    [1, 85, 128], [3, 70, 33], [2, 64, 1], [1, 512, 128],
    // row blocks of 5, 4 and 2 (5m + 2 rows: the 2-row kernel over strip pairs, an odd last strip, an edge strip)
    [7, 24, 9], [12, 40, 33], [17, 8, 6], [22, 85, 128], [10, 16, 4], [11, 9, 3], [130, 21, 7],
  ];
  const rng = new Rng(7);
  for (const k of variants) {
    let checked = 0;
    for (const [M, N, K] of shapes) {
      for (const tA of [false, true]) for (const tB of [false, true]) for (const acc of [false, true]) {
        for (const where of ['heap', 'js'] as const) {
          // views: offsets and leading dimensions larger than the logical width
          const lda = (tA ? M : K) + 3;
          const ldb = (tB ? K : N) + 2;
          const ldc = N + 5;
          const aOff = 7;
          const bOff = 9;
          const cOff = 4;
          const A = randomArray(rng, (tA ? K : M) * lda + aOff, where, k);
          const B = randomArray(rng, (tB ? N : K) * ldb + bOff, where, k);
          const C = randomArray(rng, M * ldc + cOff + 3, where, k);
          const expected = new Float32Array(C);
          jsKernels.gemm(tA, tB, M, N, K, A, aOff, lda, B, bOff, ldb, expected, cOff, ldc, acc);
          k.gemm(tA, tB, M, N, K, A, aOff, lda, B, bOff, ldb, C, cOff, ldc, acc);
          for (let i = 0; i < C.length; i++) {
            const r = Math.floor((i - cOff) / ldc);
            const c = (i - cOff) - r * ldc;
            const inside = i >= cOff && r < M && c < N;
            if (!inside) {
              assert.equal(C[i], expected[i], `${k.name} ${M}×${N}×${K} tA=${tA} tB=${tB}: element ${i} outside C changed`);
              continue;
            }
            // |error| ≤ K·ε·Σ|a||b| (+ |c|): bound it by K·2⁻²³·K·1 with |a|,|b| ≤ 1, plus slack for the two orders
            const tol = 4 * K * 1.2e-7 * Math.sqrt(K) + 1e-6;
            assert.ok(Math.abs(C[i]! - expected[i]!) <= tol,
              `${k.name} ${where} ${M}×${N}×${K} tA=${tA} tB=${tB} acc=${acc}: C[${r},${c}] = ${C[i]}, js ${expected[i]}`);
          }
          checked++;
        }
      }
    }
    assert.equal(checked, shapes.length * 16);
  }
});

test('packB + gemmPacked give exactly gemm\'s result on awkward shapes, and repacking reuses the memory', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1], [7, 13, 5], [129, 65, 33], [3, 17, 300], [4, 8, 600], [5, 600, 7], [32, 512, 128], [32, 128, 512], [9, 1030, 513],
    [7, 24, 9], [22, 85, 128], [1024, 85, 128],
  ];
  const rng = new Rng(37);
  for (const k of variants) {
    for (const [M, N, K] of shapes) {
      for (const tA of [false, true]) for (const tB of [false, true]) for (const acc of [false, true]) {
        const lda = (tA ? M : K) + 3;
        const ldb = (tB ? K : N) + 2;
        const ldc = N + 5;
        const A = randomArray(rng, (tA ? K : M) * lda + 7, 'heap', k);
        const B = randomArray(rng, (tB ? N : K) * ldb + 9, 'heap', k);
        const C = randomArray(rng, M * ldc + 4 + 3, 'heap', k);
        const expected = new Float32Array(C);
        k.gemm(tA, tB, M, N, K, A, 7, lda, B, 9, ldb, expected, 4, ldc, acc);
        const packed = k.packB(tB, K, N, B, 9, ldb, null)!;
        assert.ok(packed !== null, 'B in the heap packs');
        assert.equal(k.gemmPacked(tA, M, N, K, A, 7, lda, packed, C, 4, ldc, acc), true);
        // the same micro-kernel over the same packed data: bit-identical, and nothing outside C written
        assert.deepEqual(C, expected, `${k.name} ${M}×${N}×${K} tA=${tA} tB=${tB} acc=${acc}`);
        assert.equal(k.gemmPacked(tA, M, N + 1, K, A, 7, lda, packed, C, 4, ldc, acc), false, 'a packed B of another shape is refused');
      }
    }
    const B = randomArray(rng, 128 * 512, 'heap', k);
    const p1 = k.packB(false, 128, 512, B, 0, 512, null)!;
    const inUse = k.heap.bytesInUse;
    assert.equal(k.packB(false, 128, 512, B, 0, 512, p1), p1, 'repacking into the same handle');
    assert.equal(k.packB(true, 512, 128, B, 0, 512, p1), p1, 'a transposed pack of the same size fits too');
    assert.equal(k.heap.bytesInUse, inUse, 'no new heap memory');
    assert.equal(k.packB(false, 2, 2, new Float32Array(4), 0, 2, null), null, 'B outside the heap does not pack');
  }
});

test('gemm with K = 0 clears or keeps C; float64 goes to the js kernels unchanged', () => {
  for (const k of variants) {
    const C = new Float32Array([1, 2, 3, 4]);
    k.gemm(false, false, 2, 2, 0, new Float32Array(0), 0, 0, new Float32Array(0), 0, 2, C, 0, 2, true);
    assert.deepEqual([...C], [1, 2, 3, 4]);
    k.gemm(false, false, 2, 2, 0, new Float32Array(0), 0, 0, new Float32Array(0), 0, 2, C, 0, 2, false);
    assert.deepEqual([...C], [0, 0, 0, 0]);
    const rng = new Rng(3);
    const A = Float64Array.from({ length: 7 * 13 }, () => rng.normal());
    const B = Float64Array.from({ length: 13 * 5 }, () => rng.normal());
    const C1 = new Float64Array(7 * 5);
    const C2 = new Float64Array(7 * 5);
    k.gemm(false, false, 7, 5, 13, A, 0, 13, B, 0, 5, C1, 0, 5, false);
    jsKernels.gemm(false, false, 7, 5, 13, A, 0, 13, B, 0, 5, C2, 0, 5, false);
    assert.deepEqual(C1, C2);
  }
});

test('addRowVector, sumRowsInto, gatherRows (with −1) and scatterAddRows equal the js kernels', () => {
  const rng = new Rng(11);
  for (const k of variants) {
    for (const where of ['heap', 'js'] as const) {
      for (const [rows, N] of [[1, 1], [7, 13], [129, 65], [4, 8]] as const) {
        const ld = N + 3;
        const X = randomArray(rng, rows * ld + 2, where, k);
        const b = randomArray(rng, N + 1, where, k);
        const X2 = new Float32Array(X);
        k.addRowVector(rows, N, X, 2, ld, b, 1);
        jsKernels.addRowVector(rows, N, X2, 2, ld, b, 1);
        assert.deepEqual(X, X2, `${k.name} addRowVector ${rows}×${N}`);

        const out = randomArray(rng, N + 2, where, k);
        const out2 = new Float32Array(out);
        k.sumRowsInto(rows, N, X, 2, ld, out, 2);
        jsKernels.sumRowsInto(rows, N, X, 2, ld, out2, 2);
        assert.deepEqual(out, out2, `${k.name} sumRowsInto ${rows}×${N}`);

        const vocab = 5;
        const W = randomArray(rng, vocab * ld, where, k);
        const index = Int32Array.from({ length: rows + 1 }, (_, i) => (i % 4 === 3 ? -1 : rng.int(vocab)));
        for (const acc of [false, true]) {
          const C = randomArray(rng, rows * ld + 1, where, k);
          const C2 = new Float32Array(C);
          k.gatherRows(rows, N, index, 1, W, 0, ld, C, 1, ld, acc);
          jsKernels.gatherRows(rows, N, index, 1, W, 0, ld, C2, 1, ld, acc);
          assert.deepEqual(C, C2, `${k.name} gatherRows ${rows}×${N} acc=${acc}`);
        }
        const dW = randomArray(rng, vocab * ld, where, k);
        const dW2 = new Float32Array(dW);
        k.scatterAddRows(rows, N, index, 1, X, 2, ld, dW, 0, ld);
        jsKernels.scatterAddRows(rows, N, index, 1, X, 2, ld, dW2, 0, ld);
        assert.deepEqual(dW, dW2, `${k.name} scatterAddRows ${rows}×${N}`);
      }
    }
  }
});

test('gatherRowsBias and scatterAddRowsSum give exactly the two kernels they fuse; arrays outside the heap are declined', () => {
  const rng = new Rng(19);
  for (const k of variants) {
    for (const [rows, N] of [[1, 1], [7, 13], [129, 65], [4, 8], [33, 512]] as const) {
      const ld = N + 3;
      const vocab = 6;
      const W = randomArray(rng, vocab * ld + 1, 'heap', k);
      const b = randomArray(rng, N + 2, 'heap', k);
      const index = Int32Array.from({ length: rows + 2 }, (_, i) => (i % 5 === 4 ? -1 : rng.int(vocab)));
      // C[r, :] = W[index[r], :] + b
      const C = randomArray(rng, rows * ld + 3, 'heap', k);
      const C2 = new Float32Array(C);
      assert.equal(k.gatherRowsBias(rows, N, index, 2, W, 1, ld, b, 2, C, 3, ld), true);
      jsKernels.gatherRows(rows, N, index, 2, W, 1, ld, C2, 3, ld, false);
      jsKernels.addRowVector(rows, N, C2, 3, ld, b, 2);
      assert.deepEqual(C, C2, `${k.name} gatherRowsBias ${rows}×${N}`);
      // dW[index[r], :] += dC[r, :], out += dC[r, :]
      const dC = randomArray(rng, rows * ld + 2, 'heap', k);
      const dW = randomArray(rng, vocab * ld, 'heap', k);
      const out = randomArray(rng, N + 1, 'heap', k);
      const dW2 = new Float32Array(dW);
      const out2 = new Float32Array(out);
      assert.equal(k.scatterAddRowsSum(rows, N, index, 2, dC, 2, ld, dW, 0, ld, out, 1), true);
      jsKernels.scatterAddRows(rows, N, index, 2, dC, 2, ld, dW2, 0, ld);
      jsKernels.sumRowsInto(rows, N, dC, 2, ld, out2, 1);
      assert.deepEqual(dW, dW2, `${k.name} scatterAddRowsSum dW ${rows}×${N}`);
      assert.deepEqual(out, out2, `${k.name} scatterAddRowsSum out ${rows}×${N}`);
    }
    const outside = new Float32Array(8);
    const inHeap = k.heap.floats(8)!;
    assert.equal(k.gatherRowsBias(1, 2, new Int32Array(1), 0, outside, 0, 2, inHeap, 0, inHeap, 0, 2), false);
    assert.equal(k.scatterAddRowsSum(1, 2, new Int32Array(1), 0, inHeap, 0, 2, inHeap, 0, 2, outside, 0), false);
  }
});

test('lstmGates (fused LSTM step) equals the formulas in float64 within float32 rounding', () => {
  const { sigmoid } = lib;
  const B = 5;
  const H = 12;
  const G = 4 * H;
  const rng = new Rng(13);
  for (const k of variants) {
    const heap = k.heap;
    const a = heap.floats(B * G + 8)!;
    const cPrev = heap.floats(B * H)!;
    const c = heap.floats(B * H + 4)!;
    const h = heap.floats(B * H + 4)!;
    const tc = heap.floats(B * H)!;
    // pre-activations from −30 to 30 (saturation both ways), C(t−1) in ±3
    for (let i = 0; i < a.length; i++) a[i] = i % 7 === 0 ? rng.uniform(-30, 30) : rng.uniform(-4, 4);
    for (let i = 0; i < cPrev.length; i++) cPrev[i] = rng.uniform(-3, 3);
    const a0 = Float64Array.from(a);
    assert.equal(k.lstmGates(B, H, a, 8, cPrev, 0, c, 4, h, 4, tc, 0), true);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        const g = 8 + b * G;
        const f = sigmoid(a0[g + j]!);
        const i = sigmoid(a0[g + H + j]!);
        const o = sigmoid(a0[g + 2 * H + j]!);
        const cTilde = Math.tanh(a0[g + 3 * H + j]!);
        const cNew = f * cPrev[b * H + j]! + i * cTilde; // C(t) = f ∘ C(t−1) + i ∘ C̃
        const expect: [string, number, number][] = [
          ['f', a[g + j]!, f], ['i', a[g + H + j]!, i], ['o', a[g + 2 * H + j]!, o], ['C̃', a[g + 3 * H + j]!, cTilde],
          ['C', c[4 + b * H + j]!, cNew], ['tanh C', tc[b * H + j]!, Math.tanh(cNew)], ['h', h[4 + b * H + j]!, o * Math.tanh(cNew)],
        ];
        for (const [name, got, want] of expect) {
          assert.ok(Math.abs(got - want) <= 4e-7 * Math.max(1, Math.abs(want)), `${k.name} ${name}[${b},${j}] = ${got}, expected ${want}`);
        }
      }
    }
    assert.equal(a[7], a0[7], 'nothing before the offset changes');
    assert.equal(k.lstmGates(B, 6, a, 0, cPrev, 0, c, 0, h, 0, tc, 0), false, 'H not a multiple of 4 is declined');
    assert.equal(k.lstmGates(B, H, new Float32Array(B * G), 0, cPrev, 0, c, 0, h, 0, tc, 0), false, 'arrays outside the heap are declined');
  }
});

test('lstmGatesBackward equals the LSTM backward formulas', () => {
  const B = 3;
  const H = 8;
  const G = 4 * H;
  const n = B * H;
  const rng = new Rng(19);
  for (const k of variants) {
    const f32 = (len: number, lo: number, hi: number) => {
      const a = k.heap.floats(len)!;
      for (let i = 0; i < len; i++) a[i] = rng.uniform(lo, hi);
      return a;
    };
    const gates = f32(G * B + 2, 0.01, 0.99); // f, i, o in (0, 1); C̃ in (0, 1) is enough here
    const cPrev = f32(n, -2, 2);
    const tc = f32(n, -0.9, 0.9);
    const dh = f32(n, -1, 1);
    const dc = f32(n, -1, 1);
    const out = f32(G * B, 0, 0);
    const next = f32(n, 5, 6);
    const dc0 = Float64Array.from(dc);
    assert.equal(k.lstmGatesBackward(B, H, gates, 2, cPrev, 0, tc, 0, dh, 0, dc, 0, out, 0, next, 0), true);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        const g = 2 + b * G;
        const [f, i, o, cT] = [gates[g + j]!, gates[g + H + j]!, gates[g + 2 * H + j]!, gates[g + 3 * H + j]!];
        const r = b * H + j;
        const dC = dh[r]! * o * (1 - tc[r]! * tc[r]!) + dc0[r]!; // δC = δh ∘ o ∘ (1 − tanh²C) + δC(t+1)∘f(t+1)
        const want = [dC * cPrev[r]! * f * (1 - f), dC * cT * i * (1 - i), dh[r]! * tc[r]! * o * (1 - o), dC * i * (1 - cT * cT)];
        for (let q = 0; q < 4; q++) assertCloseRel(out[b * G + q * H + j]!, want[q]!, `${k.name} δa block ${q} [${b},${j}]`);
        assertCloseRel(dc[r]!, dC * f, `${k.name} carry δC∘f [${b},${j}]`);
        assert.equal(next[r], 0);
      }
    }
  }
});

function assertCloseRel(got: number, want: number, what: string): void {
  assert.ok(Math.abs(got - want) <= 1e-6 * Math.max(Math.abs(want), 1e-3), `${what} = ${got}, expected ${want}`);
}

test('tanhInPlace and softmaxRows equal the float64 formulas within float32 rounding', () => {
  const rng = new Rng(17);
  for (const k of variants) {
    const n = 4 * 9 + 3; // a vector body and a scalar tail
    const a = k.heap.floats(n + 2)!;
    for (let i = 0; i < a.length; i++) a[i] = i % 5 === 0 ? rng.uniform(-40, 40) : rng.uniform(-3, 3);
    a[2] = 0;
    a[3] = -1e-6;
    const a0 = Float64Array.from(a);
    assert.equal(k.tanhInPlace(a, 1, n), true);
    assert.equal(a[0], a0[0]);
    assert.equal(a[n + 1], a0[n + 1]);
    for (let i = 1; i <= n; i++) {
      const want = Math.tanh(a0[i]!);
      assert.ok(Math.abs(a[i]! - want) <= 2.5e-7 * Math.max(Math.abs(want), 1e-6) + 1e-12 || Math.abs(a[i]! - want) <= 6e-8,
        `${k.name} tanh(${a0[i]}) = ${a[i]}, expected ${want}`);
    }
    assert.ok(Object.is(a[2], 0) && a[3]! < 0, 'tanh keeps 0 and the sign of tiny values');

    for (const width of [1, 3, 4, 85]) {
      const rows = 3;
      const z = k.heap.floats(rows * width + 1)!;
      for (let i = 0; i < z.length; i++) z[i] = rng.uniform(-20, 20);
      const z0 = Float64Array.from(z);
      assert.equal(k.softmaxRows(z, 1, rows, width), true);
      for (let r = 0; r < rows; r++) {
        const o = 1 + r * width;
        let max = -Infinity;
        for (let j = 0; j < width; j++) max = Math.max(max, z0[o + j]!);
        let sum = 0;
        for (let j = 0; j < width; j++) sum += Math.exp(z0[o + j]! - max);
        for (let j = 0; j < width; j++) {
          const want = Math.exp(z0[o + j]! - max) / sum; // ŷ_k = e^(z_k − max) / Σ e^(z_j − max)
          // float32 rounding of the argument z − max (up to 40 here) scales the relative error by |z − max|
          const tol = want * (4e-7 + 1.2e-7 * Math.abs(z0[o + j]! - max)) + 1e-30;
          assert.ok(Math.abs(z[o + j]! - want) <= tol, `${k.name} softmax width ${width} [${r},${j}] = ${z[o + j]}, expected ${want}`);
        }
      }
      assert.equal(z[0], z0[0]);
    }
    assert.equal(k.tanhInPlace(new Float32Array(4), 0, 4), false);
    assert.equal(k.softmaxRows(new Float32Array(4), 0, 1, 4), false);
  }
});

test('tanhBackward (the RNN tanh step backward) equals (δh + carry)(1 − h²) on awkward lengths, in place too', () => {
  const rng = new Rng(23);
  for (const k of variants) {
    for (const n of [0, 1, 3, 7, 4 * 9 + 3, 129]) {
      const f32 = (len: number) => randomArray(rng, len, 'heap', k);
      const h = f32(n + 1);
      const dh = f32(n + 2);
      const carry = f32(n + 3);
      const out = f32(n + 1);
      const want = Array.from({ length: n }, (_, i) => (dh[2 + i]! + carry[3 + i]!) * (1 - h[1 + i]! * h[1 + i]!)); // δneth = δh ∘ (1 − h²)
      const out0 = out[0];
      assert.equal(k.tanhBackward(n, h, 1, dh, 2, carry, 3, out, 1), true);
      assert.equal(out[0], out0, 'nothing written before the offset');
      for (let i = 0; i < n; i++) assert.ok(Math.abs(out[1 + i]! - want[i]!) <= 4e-7 * (Math.abs(want[i]!) + 1e-3), `${k.name} n=${n} [${i}] = ${out[1 + i]}, expected ${want[i]}`);
      // out aliasing carry (how the cell may call it)
      const c2 = Float32Array.from(carry);
      const alias = f32(n + 3);
      alias.set(c2);
      assert.equal(k.tanhBackward(n, h, 1, dh, 2, alias, 3, alias, 3), true);
      for (let i = 0; i < n; i++) assert.equal(alias[3 + i], out[1 + i], `${k.name} aliased result [${i}]`);
    }
    assert.equal(k.tanhBackward(4, new Float32Array(4), 0, new Float32Array(4), 0, new Float32Array(4), 0, new Float32Array(4), 0), false);
  }
});

test('adamUpdate is bit-identical to the JavaScript Adam loop (odd lengths, offsets, weight decay)', () => {
  const rng = new Rng(29);
  for (const k of variants) {
    for (const n of [1, 2, 37, 1000]) {
      for (const [l2, shrink] of [[0, 1], [0.01, 1], [0, 1 - 1e-3 * 0.01]] as const) {
        const theta = randomArray(rng, n, 'heap', k);
        const grad = randomArray(rng, n, 'heap', k);
        const m = randomArray(rng, n + 3, 'heap', k);
        const v = randomArray(rng, n + 3, 'heap', k);
        for (let i = 0; i < v.length; i++) v[i] = Math.abs(v[i]!) * 1e-3;
        const [t0, m0, v0] = [Float32Array.from(theta), Float32Array.from(m), Float32Array.from(v)];
        const b1 = 0.9, b2 = 0.999, eps = 1e-8, stepSize = 2e-3 / (1 - b1 ** 3), sqrtBc2 = Math.sqrt(1 - b2 ** 3);
        assert.equal(k.adamUpdate(n, theta, grad, m, 3, v, 3, l2, b1, b2, eps, stepSize, sqrtBc2, shrink), true);
        for (let i = 0; i < n; i++) {
          // the loop of src/train/optimizers.ts, in float64, stored as float32
          const th = t0[i]!;
          const g = grad[i]! + l2 * th;
          const mi = b1 * m0[3 + i]! + (1 - b1) * g;
          const vi = b2 * v0[3 + i]! + (1 - b2) * g * g;
          const want = Math.fround(th * shrink - (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + eps));
          assert.equal(theta[i], want, `${k.name} n=${n} θ[${i}]`);
          assert.equal(m[3 + i], Math.fround(mi), `${k.name} n=${n} m[${i}]`);
          assert.equal(v[3 + i], Math.fround(vi), `${k.name} n=${n} v[${i}]`);
        }
        assert.deepEqual([m[0], m[1], m[2]], [m0[0], m0[1], m0[2]], 'slots before the offset untouched');
      }
    }
    const js = new Float32Array(2);
    assert.equal(k.adamUpdate(2, js, js, js, 0, js, 0, 0, 0.9, 0.999, 1e-8, 1, 1, 1), false);
  }
});

test('Adam through createOptimizer gives the same parameters with wasm and js kernels', () => {
  const run = (backend: 'js' | 'wasm') => {
    useKernels(backend);
    const n = 101;
    const opt = lib.createOptimizer({ kind: 'adamw' }, n, 'float32');
    const theta = allocate('float32', n);
    const grad = allocate('float32', n);
    const rng = new Rng(31);
    for (let i = 0; i < n; i++) theta[i] = rng.uniform(-1, 1);
    for (let s = 0; s < 5; s++) {
      for (let i = 0; i < n; i++) grad[i] = rng.uniform(-1, 1);
      opt.update(theta, grad, 1e-2);
    }
    useKernels('auto');
    return Float32Array.from(theta);
  };
  const ref = run('js');
  if (!support.simd) return;
  assert.deepEqual(run('wasm'), ref);
});

test('the heap: blocks are zeroed and reused, growth keeps existing views valid', () => {
  const heap = variants[0]!.heap;
  const a = heap.floats(1000)!;
  a.fill(3);
  const address = heap.addressOf(a);
  assert.ok(address >= 4096 && address % 64 === 0);
  heap.free(address);
  const b = heap.floats(1000)!;
  assert.equal(heap.addressOf(b), address, 'a freed block is reused');
  assert.equal(b[0], 0, 'blocks come zeroed');
  b[999] = 42;
  const before = heap.bytesReserved;
  const big = heap.floats(before / 4)!; // more than the whole memory: forces growth
  assert.ok(heap.bytesReserved > before);
  assert.equal(b[999], 42, 'a view made before growth still reads the same memory');
  assert.ok(heap.addressOf(b) >= 0, 'and is still recognised as heap memory');
  heap.free(heap.addressOf(big));
  heap.free(heap.addressOf(b));
  assert.equal(heap.addressOf(new Float32Array(4)), -1);
});

test('the unshared-memory module (browsers without cross-origin isolation) gives the same products; its heap never grows', async () => {
  const { KERNEL_BINARIES } = await import('../src/kernels/generated/binaries.js');
  const { WasmHeap } = await import('../src/kernels/heap.js');
  const { WasmKernels: Kernel, PACK_BYTES } = await import('../src/kernels/wasm.js');
  const bytes = Uint8Array.from(atob(KERNEL_BINARIES.unsharedPlain), (ch) => ch.charCodeAt(0));
  const memory = new WebAssembly.Memory({ initial: 24, maximum: 24 }); // 1.5 MiB, fixed
  const heap = new WasmHeap(memory, false);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  const k = new Kernel(instance.exports as never, heap, false, heap.alloc(PACK_BYTES));
  const rng = new Rng(23);
  const [M, N, K] = [33, 17, 9];
  const A = randomArray(rng, M * K, 'heap', k);
  const B = randomArray(rng, K * N, 'js', k); // outside the heap: staged
  const C = randomArray(rng, M * N, 'heap', k);
  const expected = new Float32Array(C);
  jsKernels.gemm(false, false, M, N, K, A, 0, K, B, 0, N, expected, 0, N, true);
  k.gemm(false, false, M, N, K, A, 0, K, B, 0, N, C, 0, N, true);
  for (let i = 0; i < C.length; i++) assert.ok(Math.abs(C[i]! - expected[i]!) <= 1e-5, `C[${i}] = ${C[i]}, expected ${expected[i]}`);
  const before = heap.bytesReserved;
  assert.equal(heap.floats(before), null, 'an array larger than the memory is refused, not grown into');
  assert.equal(heap.bytesReserved, before);
  assert.equal(A.length, M * K, 'existing views stay attached');
});

test('useKernels switches the backend and where allocate() puts float32 arrays', () => {
  const heap = variants[0]!.heap;
  const js = useKernels('js');
  assert.equal(js.name, 'js');
  assert.equal(heap.addressOf(allocate('float32', 10) as Float32Array), -1);
  const w = useKernels('wasm');
  assert.ok(w.name.startsWith('wasm'));
  assert.ok(heap.addressOf(allocate('float32', 10) as Float32Array) >= 0);
  assert.ok(allocate('float64', 10) instanceof Float64Array);
  assert.throws(() => useKernels('fast' as 'js'), /kernels must be one of auto, js, wasm/);
  useKernels('auto');
});

/** A small char-level batch: T×B symbol indices in [0, vocab) and next-symbol targets. */
function symbolBatch(T: number, B: number, vocab: number, seed: number) {
  const rng = new Rng(seed);
  const x = new Int32Array(T * B);
  const y = new Int32Array(T * B);
  for (let i = 0; i < T * B; i++) {
    x[i] = rng.int(vocab);
    y[i] = (x[i]! * 3 + 1) % vocab;
  }
  return { T, B, x: { kind: 'index' as const, data: x }, y: { kind: 'index' as const, data: y } };
}

function trainSteps(kernels: Kernels, cell: 'rnn' | 'lstm' | 'gru', steps: number): { losses: number[]; params: Float } {
  const net = new Network({ cell, inputSize: 11, hiddenSize: 24, outputSize: 11, loss: 'cross-entropy', seed: 5, kernels });
  const batch = symbolBatch(9, 6, 11, 2);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    net.params.zeroGrad();
    const { loss, count } = net.gradient(batch);
    losses.push(loss / count);
    const { data, grad } = net.params;
    const lr = 0.5 / count; // J is summed over the batch's outputs
    for (let i = 0; i < data.length; i++) data[i]! -= lr * grad[i]!; // θ ← θ − η·∂J/∂θ
  }
  return { losses, params: Float32Array.from(net.params.data) };
}

for (const cell of ['rnn', 'lstm', 'gru'] as const) {
  test(`a float32 ${cell.toUpperCase()} network trained with wasm kernels matches the js kernels`, (t) => {
    if (!cellType(cell)) {
      t.skip(`cell "${cell}" is not registered`);
      return;
    }
    const ref = trainSteps(jsKernels, cell, 8);
    assert.ok(ref.losses[7]! < ref.losses[0]!, 'training lowers the loss');
    for (const k of variants) {
      const got = trainSteps(k, cell, 8);
      for (let s = 0; s < 8; s++) assert.ok(Math.abs(got.losses[s]! - ref.losses[s]!) <= 1e-4 * ref.losses[0]!, `${k.name} loss at step ${s}: ${got.losses[s]} vs ${ref.losses[s]}`);
      let worst = 0;
      for (let i = 0; i < ref.params.length; i++) worst = Math.max(worst, Math.abs(got.params[i]! - ref.params[i]!));
      assert.ok(worst < 1e-4, `${k.name}: parameters differ by ${worst} after 8 steps`);
    }
  });
}

for (const cell of ['rnn', 'lstm'] as const) {
  test(`${cell.toUpperCase()} gradients with every buffer on the wasm heap (packed weights, fused steps) equal the js kernels'`, () => {
    const grads = (backend: 'js' | 'wasm') => {
      const k = useKernels(backend);
      const net = new Network({ cell, inputSize: 11, hiddenSize: 20, outputSize: 11, loss: 'cross-entropy', seed: 9 });
      if (backend === 'wasm') assert.ok((k as WasmKernels).heap.addressOf(net.params.data as Float32Array) >= 0, 'parameters in the heap');
      const batch = symbolBatch(7, 5, 11, 3);
      net.params.zeroGrad();
      const { loss } = net.gradient(batch);
      net.params.zeroGrad(); // a second pass repacks into the same memory
      const again = net.gradient(batch);
      assert.equal(again.loss, loss);
      useKernels('auto');
      return { loss, grad: Float64Array.from(net.params.grad) };
    };
    const ref = grads('js');
    if (!support.simd) return;
    const got = grads('wasm');
    assert.ok(Math.abs(got.loss - ref.loss) <= 1e-5 * ref.loss, `loss ${got.loss} vs ${ref.loss}`);
    let scale = 0;
    for (const g of ref.grad) scale = Math.max(scale, Math.abs(g));
    for (let i = 0; i < ref.grad.length; i++) {
      assert.ok(Math.abs(got.grad[i]! - ref.grad[i]!) <= 1e-4 * scale, `grad[${i}] = ${got.grad[i]}, js ${ref.grad[i]}`);
    }
  });
}

for (const cell of ['rnn', 'lstm'] as const) {
  test(`${cell.toUpperCase()}: the products with h(0) skipped when no initial state is given change nothing (zero initial state given explicitly, ∂J/∂h(0) asked for)`, () => {
    for (const backend of ['js', 'wasm'] as const) {
      if (backend === 'wasm' && !support.simd) continue;
      useKernels(backend);
      const net = new Network({ cell, inputSize: 11, hiddenSize: 20, outputSize: 11, loss: 'cross-entropy', seed: 4 });
      const batch = symbolBatch(6, 5, 11, 8);
      const run = (withInit: boolean, initGradient: boolean) => {
        net.params.zeroGrad();
        const init = withInit ? [{ h: new Float32Array(5 * 20), c: new Float32Array(5 * 20) }] : undefined;
        const r = net.gradient({ ...batch, ...(init ? { init } : {}) }, { initGradient });
        return { loss: r.loss, grad: Float64Array.from(net.params.grad), dInit: r.initGradient?.[0]?.h.slice() };
      };
      const skipped = run(false, false);
      const full = run(true, true);
      const asked = run(false, true);
      assert.equal(skipped.loss, full.loss);
      for (let i = 0; i < full.grad.length; i++) {
        assert.ok(Math.abs(skipped.grad[i]! - full.grad[i]!) <= 1e-7 * (1 + Math.abs(full.grad[i]!)), `${backend} grad[${i}]`);
        assert.ok(Math.abs(asked.grad[i]! - full.grad[i]!) <= 1e-7 * (1 + Math.abs(full.grad[i]!)), `${backend} grad[${i}] with ∂J/∂h(0)`);
      }
      assert.ok(full.dInit && asked.dInit);
      let norm = 0;
      for (let i = 0; i < full.dInit.length; i++) {
        assert.ok(Math.abs(asked.dInit[i]! - full.dInit[i]!) <= 1e-7 * (1 + Math.abs(full.dInit[i]!)), `${backend} ∂J/∂h(0)[${i}]`);
        norm += Math.abs(full.dInit[i]!);
      }
      assert.ok(norm > 0, 'the initial-state gradient is not trivially zero');
    }
    useKernels('auto');
  });
}

test('a long forward/backward loop on the wasm heap allocates nothing and copies nothing', () => {
  const k = useKernels('wasm') as WasmKernels;
  const cell = cellType('lstm') ? 'lstm' : 'rnn';
  const net = new Network({ cell, inputSize: 20, hiddenSize: 32, outputSize: 20, loss: 'cross-entropy', seed: 3 });
  assert.ok(k.heap.addressOf(net.params.data as Float32Array) >= 0, 'parameters live in the wasm heap');
  const batch = symbolBatch(16, 8, 20, 4);
  const step = () => {
    net.params.zeroGrad();
    net.gradient(batch);
  };
  for (let i = 0; i < 20; i++) step();
  gc();
  const heapBytes = k.heap.bytesInUse;
  const staged = k.heap.stagedFloats;
  const before = process.memoryUsage();
  for (let i = 0; i < 400; i++) step();
  gc();
  const after = process.memoryUsage();
  assert.equal(k.heap.bytesInUse, heapBytes, 'wasm heap in use unchanged');
  assert.equal(k.heap.stagedFloats, staged, 'no operand was copied in or out');
  const grown = (after.heapUsed + after.arrayBuffers) - (before.heapUsed + before.arrayBuffers);
  assert.ok(grown < 2e6, `JS heap grew by ${grown} bytes over 400 steps`);
  useKernels('auto');
});
