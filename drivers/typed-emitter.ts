/** A minimal typed event emitter; listener errors are reported, never swallowed silently. */
export class TypedEmitter<Events extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => this.off(event, listener);
  }

  off<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): void {
    this.listeners.get(event)?.delete(listener as (payload: never) => void);
  }

  /** Resolves with the next payload of `event` that satisfies `match`. */
  once<K extends keyof Events>(event: K, match: (payload: Events[K]) => boolean = () => true): Promise<Events[K]> {
    return new Promise((resolve) => {
      const off = this.on(event, (p) => {
        if (!match(p)) return;
        off();
        resolve(p);
      });
    });
  }

  protected emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    for (const l of [...(this.listeners.get(event) ?? [])]) {
      try {
        (l as (p: Events[K]) => void)(payload);
      } catch (err) {
        // A broken listener must not stop the device; it is a programming error, so say so loudly.
        console.error(`listener for "${String(event)}" threw`, err);
      }
    }
  }
}
