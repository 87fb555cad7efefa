// Message move tasks (dead-letter queue redrive): StartMessageMoveTask, CancelMessageMoveTask and
// ListMessageMoveTasks, with a runner that moves messages at the requested rate. Tasks are stored,
// so a task started on any node is run by the node that leads `sqs:move-tasks` (see SqsProvider),
// and a task running at shutdown resumes on the next start.
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '@atoll/core';
import { runEvery } from '@atoll/storage';
import { ResourceNotFoundException, UnsupportedOperation, invalidParameterValue } from './sqs-errors.js';
import type { MoveTaskRow, QueueRecord, SqsStore } from './sqs-store.js';

const TICK_MS = 100;
const DEFAULT_RATE = 500;

export class MessageMoveTasks {
  constructor(readonly store: SqsStore) {}

  /** Runs the stored tasks, a tick's worth every 100 ms, until `signal` aborts. */
  run(signal: AbortSignal, onError: (error: unknown) => void): Promise<void> {
    return runEvery(signal, TICK_MS, () => this.#tick(signal), onError);
  }

  async #isDeadLetterQueue(q: QueueRecord): Promise<boolean> {
    for (const other of await this.store.listQueues(q.accountId, q.region)) {
      if (other.settings.redrive?.deadLetterTargetArn === q.arn) return true;
    }
    return false;
  }

  async #queueOf(arn: unknown, ctx: RequestContext): Promise<QueueRecord | undefined> {
    if (typeof arn !== 'string') return undefined;
    const q = await this.store.getQueueByArn(arn);
    return q && q.accountId === ctx.accountId ? q : undefined;
  }

  StartMessageMoveTask = async (
    input: { SourceArn: string; DestinationArn?: string; MaxNumberOfMessagesPerSecond?: number },
    ctx: RequestContext,
  ) => {
    const source = await this.#queueOf(input.SourceArn, ctx);
    if (!source) throw new ResourceNotFoundException('The resource that you specified for the SourceArn parameter doesn\'t exist.');
    if (!(await this.#isDeadLetterQueue(source))) {
      throw invalidParameterValue('Source queue must be configured as a Dead Letter Queue.');
    }
    let destination: QueueRecord | undefined;
    if (input.DestinationArn !== undefined) {
      destination = await this.#queueOf(input.DestinationArn, ctx);
      if (!destination) throw new ResourceNotFoundException('The resource that you specified for the DestinationArn parameter doesn\'t exist.');
    }
    const rate = input.MaxNumberOfMessagesPerSecond;
    if (rate !== undefined && (!Number.isInteger(rate) || rate < 1 || rate > 500)) {
      throw invalidParameterValue(`Value ${rate} for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and 500.`);
    }
    const handle = Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn: source.arn })).toString('base64');
    const started = await this.store.startTask({
      handle,
      accountId: source.accountId,
      region: source.region,
      source,
      destinationArn: destination?.arn ?? null,
      maxPerSecond: rate ?? null,
    });
    if (!started) {
      throw new UnsupportedOperation('There is already a task running. Only one active task is allowed for a source queue arn at a given time.');
    }
    return { TaskHandle: handle };
  };

  CancelMessageMoveTask = async (input: { TaskHandle: string }, ctx: RequestContext) => {
    const task = typeof input.TaskHandle === 'string' ? await this.store.getTask(input.TaskHandle) : undefined;
    if (!task || task.account_id !== ctx.accountId) throw new ResourceNotFoundException('Task does not exist.');
    // Only a running task is cancelled (the runner may complete it meanwhile, on any node).
    if (task.status !== 'RUNNING' || !(await this.store.updateTask(task.task_handle, 'CANCELLED', 0))) {
      const now = (await this.store.getTask(task.task_handle)) ?? task;
      throw new UnsupportedOperation(`Task is in status ${now.status} and cannot be cancelled.`);
    }
    return { ApproximateNumberOfMessagesMoved: task.moved };
  };

  ListMessageMoveTasks = async (input: { SourceArn: string; MaxResults?: number }, ctx: RequestContext) => {
    const source = await this.#queueOf(input.SourceArn, ctx);
    if (!source) throw new ResourceNotFoundException('The resource that you specified for the SourceArn parameter doesn\'t exist.');
    const max = input.MaxResults ?? 1;
    if (!Number.isInteger(max) || max < 1 || max > 10) {
      throw invalidParameterValue(`Value ${max} for parameter MaxResults is invalid. Reason: Must be between 1 and 10.`);
    }
    return {
      Results: (await this.store.tasksBySource(source.arn, max)).map((t) => ({
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

  async #tick(signal: AbortSignal): Promise<void> {
    for (const task of await this.store.runningTasks()) {
      if (signal.aborted) return;
      await this.#advance(task);
    }
  }

  /**
   * Moves one tick's worth of messages for a task (to its destination, or each message back to the
   * queue it was dead-lettered from), completing it when the source has none left.
   */
  async #advance(task: MoveTaskRow): Promise<void> {
    const source = await this.store.getQueueByArn(task.source_arn);
    if (!source) {
      await this.store.updateTask(task.task_handle, 'FAILED', 0, 'AWS.SimpleQueueService.NonExistentQueue');
      return;
    }
    const fixed = task.destination_arn ? await this.store.getQueueByArn(task.destination_arn) : undefined;
    if (task.destination_arn && !fixed) {
      await this.store.updateTask(task.task_handle, 'FAILED', 0, 'AWS.SimpleQueueService.NonExistentQueue');
      return;
    }
    const perTick = Math.max(1, Math.floor(((task.max_per_second ?? DEFAULT_RATE) * TICK_MS) / 1000));
    const moved = await this.store.moveMessages(source, perTick, fixed);
    // A task cancelled meanwhile stays cancelled (the update applies to a running task only).
    await this.store.updateTask(task.task_handle, moved === 0 ? 'COMPLETED' : 'RUNNING', moved);
  }
}
