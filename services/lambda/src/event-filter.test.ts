import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventFilter, checkFilters, sqsFilterView } from './event-filter.js';

const filter = (...patterns: unknown[]) => new EventFilter(patterns.map((p) => ({ Pattern: JSON.stringify(p) })));

test('a record matches when any filter matches, and every key of a pattern must match', () => {
  const f = filter({ body: { type: ['order'], total: [{ numeric: ['>', 10] }] } }, { body: { type: ['refund'] } });
  assert.equal(f.matches(sqsFilterView({ body: '{"type":"order","total":12}' })), true);
  assert.equal(f.matches(sqsFilterView({ body: '{"type":"order","total":5}' })), false);
  assert.equal(f.matches(sqsFilterView({ body: '{"type":"refund"}' })), true);
  assert.equal(f.matches(sqsFilterView({ body: 'not json' })), false);
  assert.equal(new EventFilter(undefined).matches({}), true);
});

test('prefix, suffix, anything-but, exists and equals-ignore-case follow the EventBridge rules', () => {
  assert.equal(filter({ eventName: [{ prefix: 'INS' }] }).matches({ eventName: 'INSERT' }), true);
  assert.equal(filter({ eventName: [{ suffix: 'ERT' }] }).matches({ eventName: 'INSERT' }), true);
  assert.equal(filter({ eventName: [{ 'anything-but': ['REMOVE'] }] }).matches({ eventName: 'REMOVE' }), false);
  assert.equal(filter({ dynamodb: { NewImage: { flag: [{ exists: true }] } } }).matches({ dynamodb: { NewImage: { flag: { BOOL: true } } } }), true);
  assert.equal(filter({ dynamodb: { NewImage: { flag: [{ exists: false }] } } }).matches({ dynamodb: { NewImage: {} } }), true);
  assert.equal(filter({ body: { name: [{ 'equals-ignore-case': 'ATOLL' }] } }).matches({ body: { name: 'atoll' } }), true);
  assert.equal(checkFilters([{ Pattern: '[1]' }]), 'Invalid filter pattern definition.');
  assert.equal(checkFilters([{ Pattern: '{"a":["b"]}' }]), undefined);
});
