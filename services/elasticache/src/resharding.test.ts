// Slot arithmetic of resharding: slot specs and the runs of slots that change owner.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSlots, slotMoves } from './resharding.js';
import { slotRanges } from './elasticache-fleet.js';

const owners = (ranges: string[], names: string[]) => {
  const out: (string | undefined)[] = new Array(16384).fill(undefined);
  ranges.forEach((r, i) => {
    for (const s of parseSlots(r)) out[s] = names[i];
  });
  return out;
};

describe('resharding slot arithmetic', () => {
  it('parses single slots, ranges and comma-separated lists', () => {
    assert.deepEqual(parseSlots('0-3'), [0, 1, 2, 3]);
    assert.deepEqual(parseSlots('5,7-8'), [5, 7, 8]);
    assert.deepEqual(parseSlots(''), []);
    assert.deepEqual(parseSlots(undefined), []);
  });

  it('moves only the slots whose owner changes when a third shard is added', () => {
    const moves = slotMoves(owners(slotRanges(2), ['a', 'b']), owners(slotRanges(3), ['a', 'b', 'c']));
    assert.deepEqual(moves, [
      { from: 5461, to: 8191, source: 'a', target: 'b' },
      { from: 10922, to: 16383, source: 'b', target: 'c' },
    ]);
  });

  it('moves every slot of a removed shard and assigns unowned slots from no source', () => {
    const actual = owners(['0-8191', '8192-16383'], ['a', 'b']);
    const moves = slotMoves(actual, owners(['0-16383'], ['b']));
    assert.deepEqual(moves, [{ from: 0, to: 8191, source: 'a', target: 'b' }]);
    const gap = owners(['0-100'], ['a']);
    assert.deepEqual(slotMoves(gap, owners(['0-200'], ['a'])), [{ from: 101, to: 200, source: '', target: 'a' }]);
  });
});
