// Upgraded connections (WebSocket and the like): after the upgrade request's head, the client's
// connection becomes a raw byte tunnel to one target for the rest of its life. The target's
// in-flight count covers the tunnel, so draining waits for it (up to the deregistration delay).
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { errorPage } from './error-pages.js';
import type { TargetGroupRuntime, TargetRuntime } from './target-group.js';

/** Opens the tunnel: sends `head` (and any bytes read after it) to the target, then splices both ways. */
export function openTunnel(
  client: Socket,
  pending: Buffer | undefined,
  head: string,
  group: TargetGroupRuntime,
  target: TargetRuntime,
  onError: (error: Error) => void,
): void {
  target.inFlight++;
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    group.release(target);
  };
  const tls = group.config.protocol === 'HTTPS';
  const upstream = tls
    ? tlsConnect({ host: target.host, port: target.port, rejectUnauthorized: false })
    : connect({ host: target.host, port: target.port, noDelay: true });
  upstream.write(head, 'latin1');
  if (pending !== undefined) upstream.write(pending);
  let connected = false;
  upstream.on(tls ? 'secureConnect' : 'connect', () => {
    connected = true;
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', (error) => {
    onError(error);
    if (!connected && !client.destroyed) {
      const body = errorPage(502);
      client.end(`HTTP/1.1 502 Bad Gateway\r\nServer: awselb/2.0\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.toString('latin1')}`, 'latin1');
    } else client.destroy();
    release();
  });
  upstream.on('close', () => {
    if (connected) client.destroy();
    release();
  });
  client.on('close', () => {
    upstream.destroy();
    release();
  });
}
