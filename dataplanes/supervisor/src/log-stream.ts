// Per-task log streams: a process's stdout and stderr, split into lines, each kept with its
// timestamp as one JSON line in a file, the shape CloudWatch Logs' log events take.
import { createWriteStream, mkdirSync, readFileSync, existsSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

export interface LogEvent {
  /** Milliseconds since the epoch. */
  timestamp: number;
  message: string;
  stream: 'stdout' | 'stderr';
}

export type LogSink = (event: LogEvent) => void;

/**
 * Appends log events to a file, one JSON object per line. Writes are buffered by the stream; `close`
 * flushes them. The file is the stream's only copy: nothing is kept in memory beyond the buffer.
 */
export class LogStreamWriter {
  readonly file: string;
  readonly #out: WriteStream;

  constructor(file: string) {
    this.file = file;
    mkdirSync(dirname(file), { recursive: true });
    this.#out = createWriteStream(file, { flags: 'a' });
    this.#out.on('error', () => {});
  }

  readonly sink: LogSink = (event) => {
    this.#out.write(JSON.stringify(event) + '\n');
  };

  close(): Promise<void> {
    return new Promise((resolve) => this.#out.end(resolve));
  }
}

/** Reads a stream written by LogStreamWriter (oldest first). A missing file is an empty stream. */
export function readLogStream(file: string): LogEvent[] {
  if (!existsSync(file)) return [];
  const events: LogEvent[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      events.push(JSON.parse(line) as LogEvent);
    } catch {
      // A torn last line after a crash is skipped.
    }
  }
  return events;
}

/** Splits a byte stream into lines; a trailing partial line is emitted by `flush`. */
export class LineSplitter {
  #pending = '';
  readonly #emit: (line: string) => void;

  constructor(emit: (line: string) => void) {
    this.#emit = emit;
  }

  push(chunk: Buffer | string): void {
    const text = this.#pending + chunk.toString();
    const lines = text.split('\n');
    this.#pending = lines.pop() ?? '';
    // Guard against a process writing megabytes without a newline.
    if (this.#pending.length > 256 * 1024) {
      lines.push(this.#pending);
      this.#pending = '';
    }
    for (const line of lines) this.#emit(line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  flush(): void {
    if (this.#pending) this.#emit(this.#pending);
    this.#pending = '';
  }
}
