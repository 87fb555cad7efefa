import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RespError, encodeCommand, parseInfo, parseReply } from './resp-client.js';
import { slotRanges } from './elasticache-fleet.js';
import { renderServerConfig } from './server-config.js';

test('parses RESP replies, and waits for a reply split across chunks', () => {
  const buf = Buffer.from('*3\r\n+OK\r\n:42\r\n$5\r\nhello\r\n');
  assert.deepEqual(parseReply(buf)!.value, ['OK', 42, 'hello']);
  assert.equal(parseReply(buf.subarray(0, buf.length - 3)), undefined);
  assert.ok(parseReply(Buffer.from('-ERR nope\r\n'))!.value instanceof RespError);
  assert.equal(parseReply(Buffer.from('$-1\r\n'))!.value, null);
  assert.equal(encodeCommand(['SET', 'k', 'é']).toString(), '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n');
  assert.deepEqual(parseInfo('# Replication\r\nrole:master\r\nconnected_slaves:1\r\n'), { role: 'master', connected_slaves: '1' });
});

test('spreads the 16384 slots over shards as ElastiCache does', () => {
  assert.deepEqual(slotRanges(1), ['0-16383']);
  assert.deepEqual(slotRanges(3), ['0-5460', '5461-10921', '10922-16383']);
});

test('quotes parameter values so that they cannot add directives', () => {
  const text = renderServerConfig({ port: 1234, dir: '/tmp/x', parameters: { 'notify-keyspace-events': 'Ex"\nrequirepass x' } });
  assert.match(text, /notify-keyspace-events "Ex\\"\nrequirepass x"/);
  assert.equal(text.split('\n').filter((l) => l.startsWith('requirepass')).length, 1);
});
