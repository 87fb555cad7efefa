import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkRotationRules, nextRotation } from './rotation-schedule.js';

const at = (iso: string) => Date.parse(iso);

describe('rotation schedules', () => {
  it('adds AutomaticallyAfterDays and rate() intervals to the last rotation', () => {
    assert.equal(nextRotation({ AutomaticallyAfterDays: 30 }, at('2026-01-01T00:00:00Z')), at('2026-01-31T00:00:00Z'));
    assert.equal(nextRotation({ ScheduleExpression: 'rate(10 days)' }, at('2026-01-01T00:00:00Z')), at('2026-01-11T00:00:00Z'));
    assert.equal(nextRotation({ ScheduleExpression: 'rate(4 hours)' }, at('2026-01-01T00:00:00Z')), at('2026-01-01T04:00:00Z'));
    assert.equal(nextRotation(null, 0), null);
  });

  it('finds the next date of a cron expression in UTC', () => {
    // 8:00 on the first day of each month.
    assert.equal(nextRotation({ ScheduleExpression: 'cron(0 8 1 * ? *)' }, at('2026-01-15T12:00:00Z')), at('2026-02-01T08:00:00Z'));
    // Every Sunday (1) at 16:00.
    assert.equal(nextRotation({ ScheduleExpression: 'cron(0 16 ? * SUN *)' }, at('2026-12-03T00:00:00Z')), at('2026-12-06T16:00:00Z'));
    // Every six hours.
    assert.equal(nextRotation({ ScheduleExpression: 'cron(0 */6 * * ? *)' }, at('2026-12-03T07:10:00Z')), at('2026-12-03T12:00:00Z'));
  });

  it('refuses rules AWS refuses', () => {
    for (const rules of [
      { AutomaticallyAfterDays: 0 },
      { AutomaticallyAfterDays: 1001 },
      { AutomaticallyAfterDays: 5, ScheduleExpression: 'rate(5 days)' },
      { ScheduleExpression: 'rate(2 hours)' },
      { ScheduleExpression: 'cron(0 8 1 * * *)' },
      { ScheduleExpression: 'cron(0 8 L * ? *)' },
      { ScheduleExpression: 'every day' },
    ]) {
      assert.throws(() => checkRotationRules(rules), (e: Error) => e.name === 'InvalidParameterException', JSON.stringify(rules));
    }
  });
});
