import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { MemoryBackend } from '../adapters/memory/index.js';
import { ConfigError, type Logger } from '../core/ports/index.js';

/** How long a job waits, unmoved with an empty queue, before the dev reconciler re-sends its message. */
export const DEV_RECONCILE_GRACE_MS = 10_000;

const FORMAT = 'stagecoach-dev-state';
const VERSION = 1;

/**
 * The embedded backend's state kept in one JSON file across restarts of `stagecoach dev`: jobs
 * (with their histories, so their event logs), holds, dead letters and records (the OMA analyses).
 * Saved every `everyMs` when it changed, and on stop; written to a temporary file then renamed, so
 * a crash mid-save leaves the previous state. Queued messages are not kept: after a restart the
 * reconciler sends the message of every job that was waiting or running again.
 */
export class StateFile {
  readonly #path: string;
  readonly #backend: MemoryBackend;
  readonly #log: Logger;
  #last = '';
  #timer: ReturnType<typeof setInterval> | undefined;
  #saving: Promise<void> = Promise.resolve();

  constructor(path: string, backend: MemoryBackend, logger: Logger) {
    this.#path = path;
    this.#backend = backend;
    this.#log = logger.child({ component: 'dev-state' });
  }

  /** Loads the file into the backend; answers how many jobs it held (0 when there is no file yet). */
  async load(): Promise<number> {
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
    let state: { format?: unknown; version?: unknown; store?: unknown; records?: unknown };
    try {
      state = JSON.parse(text) as typeof state;
    } catch {
      throw new ConfigError(`The state file ${this.#path}`, [
        'is not valid JSON; move it away (or delete it) to start with an empty state',
      ]);
    }
    if (state.format !== FORMAT || state.version !== VERSION) {
      throw new ConfigError(`The state file ${this.#path}`, [
        `is not a ${FORMAT} file of version ${VERSION}; move it away to start with an empty state`,
      ]);
    }
    const store = state.store as Parameters<MemoryBackend['store']['restore']>[0];
    this.#backend.store.restore(store);
    this.#backend.records.restore(state.records as Parameters<MemoryBackend['records']['restore']>[0]);
    this.#last = text;
    return store.jobs.length;
  }

  /** Saves every `everyMs` while something changed. */
  start(everyMs = 2_000): void {
    this.#timer = setInterval(() => {
      this.save().catch((error: unknown) => this.#log.warn('saving the dev state failed', { error }));
    }, everyMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.save();
  }

  save(): Promise<void> {
    this.#saving = this.#saving.then(async () => {
      const text = JSON.stringify({
        format: FORMAT,
        version: VERSION,
        saved_at: new Date().toISOString(),
        store: this.#backend.store.snapshot(),
        records: this.#backend.records.snapshot(),
      });
      // The time stamp alone does not make a change worth a write.
      if (text.replace(/"saved_at":"[^"]*"/, '') === this.#last.replace(/"saved_at":"[^"]*"/, '')) return;
      await mkdir(dirname(this.#path), { recursive: true });
      const temporary = `${this.#path}.${process.pid}.tmp`;
      await writeFile(temporary, text);
      await rename(temporary, this.#path);
      this.#last = text;
    });
    return this.#saving;
  }
}
