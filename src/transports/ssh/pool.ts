// One SSH connection per key (e.g. a compute's name), reused while it lives, reopened after it
// drops; concurrent callers share one opening.
import { connectSsh } from './connect.ts';
import type { SshSession, SshTarget } from './types.ts';

interface Slot {
  /** What the connection was opened with: a changed target (new key, new address) opens a new one. */
  sig: string;
  session?: SshSession;
  opening?: Promise<SshSession>;
}

export class SshPool {
  readonly #slots = new Map<string, Slot>();
  readonly #connect: (t: SshTarget) => Promise<SshSession>;

  /** `connect` is for tests; by default connectSsh. */
  constructor(o: { connect?: (t: SshTarget) => Promise<SshSession> } = {}) {
    this.#connect = o.connect ?? connectSsh;
  }

  /** A live session for `key`: the pooled one, or a new one when there is none, it closed, or `target` changed. */
  get(key: string, target: SshTarget): Promise<SshSession> {
    const sig = signature(target);
    const slot = this.#slots.get(key);
    if (slot && slot.sig === sig) {
      if (slot.session && !slot.session.closed) return Promise.resolve(slot.session);
      if (slot.opening) return slot.opening;
    }
    if (slot?.session && !slot.session.closed) void slot.session.close(); // the target changed
    const fresh: Slot = { sig };
    fresh.opening = this.#connect(target).then(
      (session) => {
        if (this.#slots.get(key) !== fresh) {
          // Dropped (or replaced) while it was opening: nobody will hand it out again.
          void session.close();
          return session;
        }
        fresh.session = session;
        fresh.opening = undefined;
        session.onClose(() => {
          if (this.#slots.get(key) === fresh) this.#slots.delete(key);
        });
        return session;
      },
      (err: unknown) => {
        if (this.#slots.get(key) === fresh) this.#slots.delete(key);
        throw err;
      },
    );
    this.#slots.set(key, fresh);
    return fresh.opening;
  }

  /** The pooled session of `key` if one is open now; never connects. */
  peek(key: string): SshSession | undefined {
    const s = this.#slots.get(key)?.session;
    return s && !s.closed ? s : undefined;
  }

  /** Closes and forgets the session of `key` (one still opening is closed when it opens). */
  async drop(key: string): Promise<void> {
    const slot = this.#slots.get(key);
    if (!slot) return;
    this.#slots.delete(key);
    if (slot.session) await slot.session.close();
  }

  async closeAll(): Promise<void> {
    const keys = [...this.#slots.keys()];
    await Promise.all(keys.map((k) => this.drop(k)));
  }

  get size(): number {
    return this.#slots.size;
  }
}

/** Identity of a target, without holding credentials in the clear longer than the target itself does. */
function signature(t: SshTarget): string {
  return JSON.stringify([t.host, t.port, t.username, t.privateKey ?? '', t.password ?? '', t.passphrase ?? '', t.hostKey ?? '']);
}
