/**
 * The WebAssembly kernels' memory, and an allocator that hands out float32
 * arrays living inside it. A model whose parameters and work buffers come
 * from here (see {@link WasmHeap.floats}, installed as the float32 source of
 * `allocate()` while the wasm backend is active) is multiplied in place:
 * a gemm call passes three byte addresses, copies nothing.
 *
 * Memory model:
 * - shared memory (where SharedArrayBuffer exists: Node, cross-origin-isolated
 *   pages) grows on demand, and growing keeps every existing view valid;
 * - unshared memory never grows (growth would detach every view handed out),
 *   so when it is full `floats()` returns null and the caller falls back to
 *   an ordinary array, which the kernels copy in and out per call.
 *
 * Lifetime: a block is freed when the array `floats()` returned is garbage
 * collected (FinalizationRegistry). A `subarray` view does not keep its
 * parent alive, so a view must not outlive the array it was cut from — the
 * same rule as for the model that owns the buffers.
 */

/** Bytes below this address are the module's own scratch (its edge tile, its constants at 1024). */
const HEAP_BASE = 4096;
const ALIGN = 64;
const PAGE = 65536;

interface FreeBlock {
  ptr: number;
  size: number;
}

/** A first-fit allocator over one WebAssembly.Memory, with staging areas for operands that live elsewhere. */
export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  /** A float32 view of the whole memory as it is now (renewed after growth). */
  f32: Float32Array;
  /** An int32 view of the whole memory as it is now. */
  i32: Int32Array;
  /** Floats copied in and out for operands outside this memory, since creation (a diagnostic). */
  stagedFloats = 0;
  private buffer: ArrayBufferLike;
  /** Every buffer object `memory.buffer` has returned: views on older ones stay valid after shared growth. */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private top = HEAP_BASE;
  private readonly freeList: FreeBlock[] = [];
  private readonly sizes = new Map<number, number>();
  private readonly registry = new FinalizationRegistry<number>((ptr) => this.free(ptr));
  private readonly stages: { ptr: number; bytes: number }[] = [];

  constructor(memory: WebAssembly.Memory, shared: boolean) {
    this.memory = memory;
    this.shared = shared;
    this.buffer = memory.buffer;
    this.buffers.add(this.buffer);
    this.f32 = new Float32Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
  }

  /** Bytes currently handed out (live blocks and staging areas). */
  get bytesInUse(): number {
    let n = 0;
    for (const s of this.sizes.values()) n += s;
    return n;
  }

  /** Size of the memory in bytes. */
  get bytesReserved(): number {
    return this.memory.buffer.byteLength;
  }

  /** The byte address of element 0 of `a` in this memory, or −1 when `a` lives elsewhere. */
  addressOf(a: Float32Array | Int32Array): number {
    const b = a.buffer;
    return b === this.buffer || this.buffers.has(b) ? a.byteOffset : -1;
  }

  /** A zeroed float32 array of n elements inside this memory, or null when the memory cannot hold it. */
  floats(n: number): Float32Array | null {
    const ptr = this.alloc(n * 4);
    if (ptr < 0) return null;
    const a = new Float32Array(this.buffer, ptr, n);
    a.fill(0);
    this.registry.register(a, ptr);
    return a;
  }

  /**
   * The byte address of staging area `slot` with room for `bytes` bytes
   * (grown as needed, contents not kept), or −1 when the memory is full.
   */
  stage(slot: number, bytes: number): number {
    const s = this.stages[slot];
    if (s && s.bytes >= bytes) return s.ptr;
    if (s) this.free(s.ptr);
    const want = Math.max(bytes, s ? s.bytes * 2 : 0, 4096);
    const ptr = this.alloc(want);
    this.stages[slot] = { ptr: ptr < 0 ? 0 : ptr, bytes: ptr < 0 ? 0 : want };
    return ptr;
  }

  /** Reserves `bytes` (rounded up to 64) and returns the address, or −1. */
  alloc(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.freeList.length; i++) {
      const f = this.freeList[i]!;
      if (f.size < size) continue;
      const ptr = f.ptr;
      if (f.size === size) this.freeList.splice(i, 1);
      else {
        f.ptr += size;
        f.size -= size;
      }
      this.sizes.set(ptr, size);
      return ptr;
    }
    const end = this.top + size;
    if (end > this.buffer.byteLength && !this.grow(end)) return -1;
    const ptr = this.top;
    this.top = end;
    this.sizes.set(ptr, size);
    return ptr;
  }

  /** Returns a block to the free list, merging it with free neighbours. */
  free(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) return;
    this.sizes.delete(ptr);
    const list = this.freeList;
    let i = 0;
    while (i < list.length && list[i]!.ptr < ptr) i++;
    list.splice(i, 0, { ptr, size });
    const next = list[i + 1];
    if (next && ptr + size === next.ptr) {
      list[i]!.size += next.size;
      list.splice(i + 1, 1);
    }
    const prev = list[i - 1];
    if (prev && prev.ptr + prev.size === ptr) {
      prev.size += list[i]!.size;
      list.splice(i, 1);
    }
    // a free block at the top goes back to the bump pointer
    const last = list[list.length - 1];
    if (last && last.ptr + last.size === this.top) {
      this.top = last.ptr;
      list.pop();
    }
  }

  private grow(end: number): boolean {
    if (!this.shared) return false;
    const have = this.buffer.byteLength;
    // at least double, so that growth is rare
    const target = Math.max(end, have * 2);
    const pages = Math.ceil((target - have) / PAGE);
    try {
      this.memory.grow(pages);
    } catch {
      try {
        this.memory.grow(Math.ceil((end - have) / PAGE));
      } catch {
        return false;
      }
    }
    this.buffer = this.memory.buffer;
    this.buffers.add(this.buffer);
    this.f32 = new Float32Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    return true;
  }
}
