import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectRouteKey } from './websocket-api.js';

test('a message selects its route by the expression\'s field of its JSON body', () => {
  assert.equal(selectRouteKey('$request.body.action', '{"action":"send"}'), 'send');
  assert.equal(selectRouteKey('$request.body.meta.kind', '{"meta":{"kind":"ping"}}'), 'ping');
  assert.equal(selectRouteKey('$request.body.action', 'not json'), undefined);
  assert.equal(selectRouteKey('$request.body.action', '{"action":3}'), undefined);
  assert.equal(selectRouteKey('${request.body.action}', '{"action":"x"}'), undefined);
});
