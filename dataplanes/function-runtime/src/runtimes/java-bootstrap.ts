// The Java runtime's bootstrap is kept as Java source (./java) and compiled on first use with the
// JDK that runs the function (javac beside java), into a cache directory keyed by the sources and
// the JDK: later environments, and later platform runs, reuse the classes. Compilation runs once
// per key at a time (concurrent first invocations wait for the same compile), writes into a
// temporary directory and renames it into place, so a crash never leaves half a cache entry.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runtimeAsset } from './interpreters.js';

/** Where the bootstrap's Java sources live (package root). */
export const JAVA_SOURCES = runtimeAsset('java', import.meta.url);

/** The main class of the compiled bootstrap. */
export const JAVA_MAIN_CLASS = 'atoll.lambda.Bootstrap';

const compiling = new Map<string, Promise<string>>();

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith('.java')) out.push(path);
  }
  return out;
}

/** The directory of compiled bootstrap classes for the JDK of `javaBin`, compiling them if needed. */
export function javaBootstrapClasses(javaBin: string, cacheRoot: string): Promise<string> {
  const files = sources(JAVA_SOURCES);
  const hash = createHash('sha256').update(javaBin);
  for (const file of files) hash.update(file.slice(JAVA_SOURCES.length)).update(readFileSync(file));
  const dir = join(cacheRoot, `java-bootstrap-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(join(dir, '.complete'))) return Promise.resolve(dir);
  let pending = compiling.get(dir);
  if (!pending) {
    pending = compile(join(dirname(javaBin), 'javac'), files, dir).finally(() => compiling.delete(dir));
    compiling.set(dir, pending);
  }
  return pending;
}

async function compile(javac: string, files: string[], dir: string): Promise<string> {
  const tmp = `${dir}.tmp-${randomBytes(4).toString('hex')}`;
  mkdirSync(tmp, { recursive: true });
  try {
    const stderr = await new Promise<string>((resolve, reject) => {
      const child = spawn(javac, ['-nowarn', '-encoding', 'UTF-8', '-d', tmp, ...files], { stdio: ['ignore', 'ignore', 'pipe'] });
      let text = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => (text = (text + chunk).slice(-4096)));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`javac failed (exit ${code}): ${text.trim()}`))));
    });
    void stderr;
    writeFileSync(join(tmp, '.complete'), new Date().toISOString());
    try {
      renameSync(tmp, dir);
    } catch (error) {
      // Another process finished the same entry first: theirs is as good as ours.
      if (!existsSync(join(dir, '.complete'))) throw error;
      rmSync(tmp, { recursive: true, force: true });
    }
    return dir;
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
}
