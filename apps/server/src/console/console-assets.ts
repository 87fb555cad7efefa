// The console's static files (bundled by tools/build.mjs into apps/console/dist/assets), served from
// memory with gzip when the browser accepts it, under a strict Content-Security-Policy: scripts,
// styles and connections from this origin only, no inline script, no framing.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
  etag: string;
}

/** Where the bundled console lives: `apps/console/dist/assets`, found through the workspace package. */
export function consoleAssetsDir(): string | undefined {
  try {
    const entry = createRequire(import.meta.url).resolve('@atoll/console');
    const dir = join(dirname(entry), '..', 'assets');
    return existsSync(join(dir, 'index.html')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

export class ConsoleAssets {
  #assets: Map<string, Asset> | undefined;
  readonly #dir: () => string | undefined;

  constructor(dir: () => string | undefined = consoleAssetsDir) {
    this.#dir = dir;
  }

  #load(): Map<string, Asset> {
    if (this.#assets) return this.#assets;
    const assets = new Map<string, Asset>();
    const dir = this.#dir();
    if (dir) {
      for (const name of readdirSync(dir)) {
        const ext = name.slice(name.lastIndexOf('.'));
        const type = TYPES[ext];
        if (!type) continue;
        const body = readFileSync(join(dir, name));
        assets.set(name, { type, body, gzip: gzipSync(body, { level: 9 }), etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 20)}"` });
      }
    }
    this.#assets = assets;
    return assets;
  }

  /** Serves `name` (a file of the assets folder); false when there is no such file. */
  serve(req: IncomingMessage, res: ServerResponse, name: string): boolean {
    const asset = this.#load().get(name);
    if (!asset) return false;
    const headers: Record<string, string | number> = { ...SECURITY_HEADERS, 'content-type': asset.type, etag: asset.etag, vary: 'accept-encoding' };
    if (name !== 'index.html') headers['cache-control'] = 'no-cache';
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? asset.gzip : asset.body;
    if (gzip) headers['content-encoding'] = 'gzip';
    headers['content-length'] = body.length;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }

  available(): boolean {
    return this.#load().has('index.html');
  }
}
