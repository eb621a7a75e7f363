/** A small LRU map of SDK clients: building one per call is slow, and a reused one keeps its connections warm. */
export class ClientCache<T> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly capacity = 64) {}

  get(parts: readonly (string | null)[], build: () => T): T {
    // \u0000 cannot occur in an id, URL or key, so distinct parts never join into the same key.
    const key = parts.map((part) => part ?? '\u0001').join('\u0000');
    const found = this.entries.get(key);
    if (found !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, found);
      return found;
    }
    const built = build();
    this.entries.set(key, built);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return built;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
