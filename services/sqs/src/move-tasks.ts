// Message move tasks (dead-letter queue redrive): StartMessageMoveTask, CancelMessageMoveTask and
// ListMessageMoveTasks, with a background runner that moves messages at the requested rate. Tasks
// are stored, so a task running at shutdown resumes on the next start.
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '@atoll/core';
import { ResourceNotFoundException, UnsupportedOperation, invalidParameterValue } from './sqs-errors.js';
import type { MoveTaskRow, QueueRecord, SqsStore } from './sqs-store.js';

const TICK_MS = 100;
const DEFAULT_RATE = 500;

export class MessageMoveTasks {
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(readonly store: SqsStore) {}

  start(): void {
    this.#timer = setInterval(() => void this.#tick(), TICK_MS);
    this.#timer.unref();
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  #isDeadLetterQueue(q: QueueRecord): boolean {
    for (const other of this.store.listQueues(q.accountId, q.region)) {
      if (other.settings.redrive?.deadLetterTargetArn === q.arn) return true;
    }
    return false;
  }

  #queueOf(arn: unknown, ctx: RequestContext): QueueRecord | undefined {
    if (typeof arn !== 'string') return undefined;
    const q = this.store.getQueueByArn(arn);
    return q && q.accountId === ctx.accountId ? q : undefined;
  }

  StartMessageMoveTask = (
    input: { SourceArn: string; DestinationArn?: string; MaxNumberOfMessagesPerSecond?: number },
    ctx: RequestContext,
  ) => {
    const source = this.#queueOf(input.SourceArn, ctx);
    if (!source) throw new ResourceNotFoundException('The resource that you specified for the SourceArn parameter doesn\'t exist.');
    if (!this.#isDeadLetterQueue(source)) {
      throw invalidParameterValue('Source queue must be configured as a Dead Letter Queue.');
    }
    let destination: QueueRecord | undefined;
    if (input.DestinationArn !== undefined) {
      destination = this.#queueOf(input.DestinationArn, ctx);
      if (!destination) throw new ResourceNotFoundException('The resource that you specified for the DestinationArn parameter doesn\'t exist.');
    }
    const rate = input.MaxNumberOfMessagesPerSecond;
    if (rate !== undefined && (!Number.isInteger(rate) || rate < 1 || rate > 500)) {
      throw invalidParameterValue(`Value ${rate} for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and 500.`);
    }
    if (this.store.tasksBySource(source.arn, 10).some((t) => t.status === 'RUNNING' || t.status === 'CANCELLING')) {
      throw new UnsupportedOperation('There is already a task running. Only one active task is allowed for a source queue arn at a given time.');
    }
    const handle = Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn: source.arn })).toString('base64');
    this.store.insertTask({
      task_handle: handle,
      account_id: source.accountId,
      region: source.region,
      source_arn: source.arn,
      destination_arn: destination?.arn ?? null,
      max_per_second: rate ?? null,
      status: 'RUNNING',
      moved: 0,
      to_move: this.store.countAll(source),
      started_at: Date.now(),
      failure_reason: null,
    });
    return { TaskHandle: handle };
  };

  CancelMessageMoveTask = (input: { TaskHandle: string }, ctx: RequestContext) => {
    const task = typeof input.TaskHandle === 'string' ? this.store.getTask(input.TaskHandle) : undefined;
    if (!task || task.account_id !== ctx.accountId) throw new ResourceNotFoundException('Task does not exist.');
    if (task.status !== 'RUNNING') throw new UnsupportedOperation(`Task is in status ${task.status} and cannot be cancelled.`);
    this.store.updateTask(task.task_handle, 'CANCELLED', task.moved);
    return { ApproximateNumberOfMessagesMoved: task.moved };
  };

  ListMessageMoveTasks = (input: { SourceArn: string; MaxResults?: number }, ctx: RequestContext) => {
    const source = this.#queueOf(input.SourceArn, ctx);
    if (!source) throw new ResourceNotFoundException('The resource that you specified for the SourceArn parameter doesn\'t exist.');
    const max = input.MaxResults ?? 1;
    if (!Number.isInteger(max) || max < 1 || max > 10) {
      throw invalidParameterValue(`Value ${max} for parameter MaxResults is invalid. Reason: Must be between 1 and 10.`);
    }
    return {
      Results: this.store.tasksBySource(source.arn, max).map((t) => ({
        TaskHandle: t.status === 'RUNNING' ? t.task_handle : undefined,
        Status: t.status,
        SourceArn: t.source_arn,
        DestinationArn: t.destination_arn ?? undefined,
        MaxNumberOfMessagesPerSecond: t.max_per_second ?? undefined,
        ApproximateNumberOfMessagesMoved: t.moved,
        ApproximateNumberOfMessagesToMove: t.to_move,
        FailureReason: t.failure_reason ?? undefined,
        StartedTimestamp: t.started_at,
      })),
    };
  };

  async #tick(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      for (const task of this.store.runningTasks()) await this.#advance(task);
    } finally {
      this.#busy = false;
    }
  }

  /** Moves one tick's worth of messages for a task, completing it when the source has none left. */
  async #advance(task: MoveTaskRow): Promise<void> {
    const source = this.store.getQueueByArn(task.source_arn);
    if (!source) {
      this.store.updateTask(task.task_handle, 'FAILED', task.moved, 'AWS.SimpleQueueService.NonExistentQueue');
      return;
    }
    const fixed = task.destination_arn ? this.store.getQueueByArn(task.destination_arn) : undefined;
    if (task.destination_arn && !fixed) {
      this.store.updateTask(task.task_handle, 'FAILED', task.moved, 'AWS.SimpleQueueService.NonExistentQueue');
      return;
    }
    const perTick = Math.max(1, Math.floor(((task.max_per_second ?? DEFAULT_RATE) * TICK_MS) / 1000));
    const moved = await this.store.moveMessages(source, perTick, (row) =>
      fixed ?? (row.dlq_source_arn ? this.store.getQueueByArn(row.dlq_source_arn) : undefined),
    );
    const current = this.store.getTask(task.task_handle);
    if (!current || current.status !== 'RUNNING') return;
    const total = current.moved + moved;
    this.store.updateTask(task.task_handle, moved === 0 ? 'COMPLETED' : 'RUNNING', total);
  }
}
