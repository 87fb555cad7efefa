// Launches Debian's Chromium through playwright-core for the console's end-to-end tests, with a fresh
// profile. Without /usr/bin/chromium the tests are skipped with the reason, except under CI (env CI
// set), where a missing browser is a failure.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why the browser tests cannot run here, or undefined when they can. Throws under CI. */
export function browserMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const reason = `${CHROMIUM} is missing: install it with \`apt-get install -y chromium\``;
  if (process.env.CI) throw new Error(`CI: ${reason}`);
  return reason;
}

/** Where screenshots go: $ATOLL_ARTIFACT_DIR/console, else <tmp>/atoll-console-artifacts. */
export function artifactDir(): string {
  const dir = process.env.ATOLL_ARTIFACT_DIR ? join(process.env.ATOLL_ARTIFACT_DIR, 'console') : join(tmpdir(), 'atoll-console-artifacts');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A browser with a new, empty profile (its own --user-data-dir), removed on close. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'atoll-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    acceptDownloads: true,
    viewport: { width: 1280, height: 800 },
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
