import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pageV1, pageV2 } from './paging.js';

const fail = (message: string) => new Error(message);
const items = Array.from({ length: 30 }, (_, i) => i);

describe('list paging', () => {
  it('gives REST API lists 25 items by default and a position for the rest', () => {
    const first = pageV1(items, {}, fail);
    assert.equal(first.items.length, 25);
    assert.ok(first.position);
    const second = pageV1(items, { position: first.position }, fail);
    assert.deepEqual(second.items, [25, 26, 27, 28, 29]);
    assert.equal(second.position, undefined);
  });

  it('refuses a REST API limit out of range and a position that is not one of its tokens', () => {
    assert.throws(() => pageV1(items, { limit: 501 }, fail), /Invalid limit/);
    assert.throws(() => pageV1(items, { limit: 0 }, fail), /Invalid limit/);
    assert.throws(() => pageV1(items, { position: 'garbage' }, fail), /Invalid position/);
  });

  it('gives HTTP API lists every item without MaxResults, and pages with NextToken', () => {
    assert.equal(pageV2(items, {}, fail).Items.length, 30);
    const first = pageV2(items, { MaxResults: '10' }, fail);
    assert.deepEqual(first.Items, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const rest: number[] = [...first.Items];
    let token = first.NextToken;
    while (token) {
      const page = pageV2(items, { MaxResults: '10', NextToken: token }, fail);
      rest.push(...page.Items);
      token = page.NextToken;
    }
    assert.deepEqual(rest, items);
    assert.throws(() => pageV2(items, { NextToken: '!!' }, fail), /Invalid NextToken/);
  });
});
