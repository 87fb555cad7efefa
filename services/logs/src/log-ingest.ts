// Brings the platform's own workload output into CloudWatch Logs: Lambda's log batches (the
// `lambda.LogEvents` bus event, START/END/REPORT lines included) and ECS containers' stdout/stderr
// (the JSON-lines files the `ecs.LogStreamCreated` event names, followed until the task stops).
// Groups and streams are created on first use, as Lambda and the awslogs driver do.
// Known limitations: a file is followed by the node that saw its `ecs.LogStreamCreated`; a file
// whose task was running when the platform restarted is not followed again (its lines stay in the
// file, which ECS still reads).
import { open, stat } from 'node:fs/promises';
import type { EventBus, Logger } from '@atoll/core';

export type IngestSink = (scope: { accountId: string; region: string }, group: string, stream: string, events: { timestamp: number; message: string }[]) => Promise<void>;

const POLL_MS = 250;

interface Tail {
  scope: { accountId: string; region: string };
  group: string;
  stream: string;
  file: string;
  offset: number;
  partial: string;
  taskArn: string;
  reading: boolean;
  stopping: boolean;
}

export class LogIngest {
  readonly #tails = new Map<string, Tail>();
  readonly #unsubscribe: (() => void)[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(
    bus: EventBus,
    readonly sink: IngestSink,
    readonly logger: Logger,
  ) {
    this.#unsubscribe.push(
      bus.on('lambda.LogEvents', async (e) => {
        const d = e.detail as { logGroupName: string; logStreamName: string; events: { timestamp: number; message: string }[] };
        await this.sink({ accountId: e.accountId, region: e.region }, d.logGroupName, d.logStreamName, d.events);
      }),
      bus.on('ecs.LogStreamCreated', (e) => {
        const d = e.detail as { logGroup: string; logStream: string; file: string; taskArn: string };
        this.#tails.set(d.file, { scope: { accountId: e.accountId, region: e.region }, group: d.logGroup, stream: d.logStream, file: d.file, offset: 0, partial: '', taskArn: d.taskArn, reading: false, stopping: false });
        this.#ensureTimer();
      }),
      bus.on('ecs.TaskStateChange', (e) => {
        const d = e.detail as { taskArn?: string; lastStatus?: string };
        if (d.lastStatus !== 'STOPPED') return;
        for (const tail of this.#tails.values()) if (tail.taskArn === d.taskArn) tail.stopping = true;
      }),
    );
  }

  #ensureTimer(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.#poll(), POLL_MS);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    for (const tail of this.#tails.values()) {
      if (tail.reading) continue;
      tail.reading = true;
      const last = tail.stopping;
      try {
        await this.#read(tail);
      } catch (error) {
        this.logger.warn({ err: error, file: tail.file }, 'logs: following an ECS log file failed');
      } finally {
        tail.reading = false;
      }
      if (last) this.#tails.delete(tail.file);
    }
    if (this.#tails.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  async #read(tail: Tail): Promise<void> {
    let size: number;
    try {
      size = (await stat(tail.file)).size;
    } catch {
      return;
    }
    if (size <= tail.offset) return;
    const handle = await open(tail.file, 'r');
    let text: string;
    try {
      const buffer = Buffer.alloc(Math.min(size - tail.offset, 4 << 20));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, tail.offset);
      tail.offset += bytesRead;
      text = tail.partial + buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
    const lines = text.split('\n');
    tail.partial = lines.pop() ?? '';
    const events: { timestamp: number; message: string }[] = [];
    for (const line of lines) {
      if (!line) continue;
      try {
        const e = JSON.parse(line) as { timestamp: number; message: string };
        events.push({ timestamp: e.timestamp, message: e.message });
      } catch {
        // a torn line is skipped
      }
    }
    if (events.length > 0) await this.sink(tail.scope, tail.group, tail.stream, events);
  }

  /** Stops following (lines not yet read stay in the files, which ECS still reads). */
  async close(): Promise<void> {
    for (const u of this.#unsubscribe.splice(0)) u();
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#tails.clear();
  }
}
