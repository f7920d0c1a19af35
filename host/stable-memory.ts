/**
 * Stable memory: sparse 64 KiB pages with a per-message undo journal, so a trapped or query
 * message is rolled back by restoring only the pages it touched (stable memory may be large).
 */
export const WASM_PAGE_BYTES = 65536;

export class StableMemory {
  private pages = new Map<number, Uint8Array>();
  private sizePages = 0;
  private journal: Map<number, Uint8Array | null> | null = null;
  private journalSizePages = 0;

  constructor(readonly maxPages: number) {}

  get pageCount(): number {
    return this.sizePages;
  }

  get byteLength(): number {
    return this.sizePages * WASM_PAGE_BYTES;
  }

  /** Starts recording changes so they can be undone. */
  begin(): void {
    this.journal = new Map();
    this.journalSizePages = this.sizePages;
  }

  commit(): void {
    this.journal = null;
  }

  rollback(): void {
    if (!this.journal) return;
    for (const [index, original] of this.journal) {
      if (original) this.pages.set(index, original);
      else this.pages.delete(index);
    }
    this.sizePages = this.journalSizePages;
    this.journal = null;
  }

  /** Returns the previous size in pages, or -1 if the new size would exceed the maximum. */
  grow(additionalPages: number): number {
    const previous = this.sizePages;
    if (additionalPages < 0 || previous + additionalPages > this.maxPages) return -1;
    this.sizePages = previous + additionalPages;
    return previous;
  }

  inBounds(offset: number, size: number): boolean {
    return offset >= 0 && size >= 0 && offset + size <= this.byteLength;
  }

  read(offset: number, size: number): Uint8Array {
    const out = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const position = offset + done;
      const index = Math.floor(position / WASM_PAGE_BYTES);
      const within = position - index * WASM_PAGE_BYTES;
      const n = Math.min(WASM_PAGE_BYTES - within, size - done);
      const page = this.pages.get(index);
      if (page) out.set(page.subarray(within, within + n), done);
      done += n;
    }
    return out;
  }

  write(offset: number, data: Uint8Array): void {
    let done = 0;
    while (done < data.length) {
      const position = offset + done;
      const index = Math.floor(position / WASM_PAGE_BYTES);
      const within = position - index * WASM_PAGE_BYTES;
      const n = Math.min(WASM_PAGE_BYTES - within, data.length - done);
      let page = this.pages.get(index);
      if (this.journal && !this.journal.has(index)) this.journal.set(index, page ? page.slice() : null);
      if (!page) {
        page = new Uint8Array(WASM_PAGE_BYTES);
        this.pages.set(index, page);
      }
      page.set(data.subarray(done, done + n), within);
      done += n;
    }
  }
}
