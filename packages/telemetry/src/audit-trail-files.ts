// The embedded audit trail's event text: each batch is appended to a numbered file
// (`<dataDir>/audit/trail/000001.json`, a new one past 256 MiB) and its row in audit_batches names
// where it lies (`@<file>:<offset>:<length>`). A batch written into a SQLite row cost ~4-5 µs per
// event (WAL frames page by page, then the checkpoint's second copy); an append costs ~1.
// Ordering: the bytes are written before the row that names them, so every row names bytes that
// exist (a snapshot copies the databases before it links the files). A crash between the two
// leaves bytes that no row names, which nothing reads. Like the rows, the appends are not fsynced:
// the trail's documented loss window on a crash is the last moments of events.
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const MAX_FILE_BYTES = 256 * 1024 * 1024;
const LOCATION = /^@(\d+):(\d+):(\d+)$/;

export class AuditTrailFiles {
  readonly #dir: string;
  #file = 0;
  #fd: number | undefined;
  #size = 0;
  readonly #readers = new Map<number, number>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Whether a batch row's text is a location in the files rather than the events themselves. */
  static names(text: string): boolean {
    return text.startsWith('@');
  }

  #name(file: number): string {
    return join(this.#dir, `${String(file).padStart(6, '0')}.json`);
  }

  #openNewest(): number {
    mkdirSync(this.#dir, { recursive: true });
    const numbers = readdirSync(this.#dir)
      .map((f) => /^(\d{6})\.json$/.exec(f)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number);
    this.#file = numbers.length > 0 ? Math.max(...numbers) : 1;
    const fd = openSync(this.#name(this.#file), 'a');
    this.#size = fstatSync(fd).size;
    return (this.#fd = fd);
  }

  /** Appends a batch's text; answers its location, to be stored in the batch's row. */
  append(text: string): string {
    const bytes = Buffer.from(text, 'utf8');
    let fd = this.#fd ?? this.#openNewest();
    if (this.#size > 0 && this.#size + bytes.length > MAX_FILE_BYTES) {
      closeSync(fd);
      this.#file++;
      fd = this.#fd = openSync(this.#name(this.#file), 'a');
      this.#size = fstatSync(fd).size;
    }
    const offset = this.#size;
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    } catch (error) {
      // A short write (disk full): what follows goes after whatever did land.
      this.#size = fstatSync(fd).size;
      throw error;
    }
    this.#size += bytes.length;
    return `@${this.#file}:${offset}:${bytes.length}`;
  }

  /** The batch text at a location; undefined when it cannot be read back (a file lost or cut short). */
  read(location: string): string | undefined {
    const m = LOCATION.exec(location);
    if (!m) return undefined;
    const [file, offset, length] = [Number(m[1]), Number(m[2]), Number(m[3])];
    try {
      let fd = this.#readers.get(file);
      if (fd === undefined) this.#readers.set(file, (fd = openSync(this.#name(file), 'r')));
      const buffer = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const n = readSync(fd, buffer, got, length - got, offset + got);
        if (n === 0) return undefined;
        got += n;
      }
      return buffer.toString('utf8');
    } catch {
      return undefined;
    }
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    for (const fd of this.#readers.values()) closeSync(fd);
    this.#readers.clear();
  }
}
