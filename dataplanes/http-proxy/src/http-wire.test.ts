import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkTracker, parseRequestHead, parseResponseHead, WireError } from './http-wire.js';

describe('request heads', () => {
  test('a plain GET needs no rewrite and keeps its text', () => {
    const h = parseRequestHead('GET /a?b=1 HTTP/1.1\r\nHost: x:8080\r\nAccept: */*');
    assert.equal(h.method, 'GET');
    assert.equal(h.url, '/a?b=1');
    assert.equal(h.host, 'x:8080');
    assert.equal(h.keepAlive, true);
    assert.equal(h.rewrite, false);
    assert.equal(h.text, 'GET /a?b=1 HTTP/1.1\r\nHost: x:8080\r\nAccept: */*\r\n');
  });

  test('hop-by-hop and forwarded headers mark the head for rewriting', () => {
    const h = parseRequestHead('POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Forwarded-For: 1.2.3.4\r\nContent-Length: 5');
    assert.equal(h.rewrite, true);
    assert.equal(h.keepAlive, false);
    assert.equal(h.forwardedFor, '1.2.3.4');
    assert.equal(h.contentLength, 5);
  });

  test('HTTP/1.0 is keep-alive only when asked', () => {
    assert.equal(parseRequestHead('GET / HTTP/1.0').keepAlive, false);
    assert.equal(parseRequestHead('GET / HTTP/1.0\r\nConnection: keep-alive').keepAlive, true);
  });

  test('an upgrade needs both Upgrade and Connection: upgrade', () => {
    assert.equal(parseRequestHead('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade').upgrade, true);
    assert.equal(parseRequestHead('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket').upgrade, false);
  });

  test('smuggling-prone and malformed heads are refused with a status', () => {
    const status = (text: string): number => {
      try {
        parseRequestHead(text);
        return 0;
      } catch (error) {
        return (error as WireError).status;
      }
    };
    assert.equal(status('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked'), 400);
    assert.equal(status('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2'), 400);
    assert.equal(status('GET / HTTP/1.1'), 400);
    assert.equal(status('GET / HTTP/2.0\r\nHost: x'), 505);
    assert.equal(status('GET / HTTP/1.1\r\nHost: x\r\n folded'), 400);
    assert.equal(status('GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip'), 501);
    assert.equal(status('GARBAGE'), 400);
    assert.equal(status('GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\nX-B: 2'), 400);
    assert.equal(status('GET / HTTP/1.1\r\nHost: x\r\nBad Name: 1'), 400);
  });
});

describe('response heads', () => {
  test('connection headers are removed and the framing is read', () => {
    const h = parseResponseHead('HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 12\r\nKeep-Alive: timeout=5\r\nX-A: b');
    assert.equal(h.status, 200);
    assert.equal(h.contentLength, 12);
    assert.equal(h.keepAlive, true);
    assert.equal(h.changed, true);
    assert.equal(h.text, 'HTTP/1.1 200 OK\r\nContent-Length: 12\r\nX-A: b\r\n');
  });

  test('a head without hop-by-hop headers is unchanged', () => {
    const h = parseResponseHead('HTTP/1.1 204 No Content\r\nServer: s');
    assert.equal(h.changed, false);
    assert.equal(h.text, 'HTTP/1.1 204 No Content\r\nServer: s\r\n');
  });

  test('a status line alone still ends with CRLF', () => {
    assert.equal(parseResponseHead('HTTP/1.0 200 OK').text, 'HTTP/1.0 200 OK\r\n');
    assert.equal(parseResponseHead('HTTP/1.0 200 OK').keepAlive, false);
  });

  test('garbage is a 502', () => {
    assert.throws(() => parseResponseHead('this is not http'), (e: WireError) => e.status === 502);
  });
});

describe('chunked bodies', () => {
  test('the tracker finds the end of a chunked body split across reads, with extensions and trailers', () => {
    const body = Buffer.from('5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT');
    for (let split = 1; split < body.length - 4; split += 3) {
      const t = new ChunkTracker();
      const payload: string[] = [];
      const collect = (b: Buffer, s: number, e: number): void => void payload.push(b.subarray(s, e).toString());
      assert.equal(t.feed(body.subarray(0, split), 0, split, collect), -1);
      const rest = body.subarray(split);
      const end = t.feed(rest, 0, rest.length, collect);
      assert.equal(rest.subarray(end).toString(), 'NEXT');
      assert.equal(payload.join(''), 'hello world');
    }
  });

  test('a malformed chunk size is an error', () => {
    assert.throws(() => new ChunkTracker().feed(Buffer.from('zz\r\n'), 0, 4), WireError);
  });
});
