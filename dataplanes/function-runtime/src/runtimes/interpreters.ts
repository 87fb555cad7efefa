// Where each managed runtime's interpreter lives on this machine. A runtime identifier maps to a
// language and a version (`python3.12` → Python 3.12, `java17` → a JDK 17, `ruby3.3` → Ruby 3.x);
// the lookup searches PATH, pyenv (`$PYENV_ROOT/versions/<v>/bin`), JAVA_HOME and /usr/lib/jvm, and
// answers the interpreter's path or what to install. Results are cached for the process: the
// machine's interpreters do not change while the platform runs (a restart sees new ones).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type RuntimeLanguage = 'nodejs' | 'provided' | 'python' | 'java' | 'ruby';

export type InterpreterLookup =
  | { ok: true; language: RuntimeLanguage; file: string; version: string }
  | { ok: false; language: RuntimeLanguage | undefined; message: string };

/** The language and version a runtime identifier names (`python3.12` → python 3.12), if it is a managed one. */
export function parseRuntime(runtime: string): { language: RuntimeLanguage; version: string } | undefined {
  if (runtime.startsWith('nodejs')) return { language: 'nodejs', version: /^nodejs(\d+)/.exec(runtime)?.[1] ?? '' };
  if (runtime.startsWith('provided')) return { language: 'provided', version: '' };
  let m = /^python(3\.\d+)$/.exec(runtime);
  if (m) return { language: 'python', version: m[1]! };
  m = /^java(\d+)(?:\.al2)?$/.exec(runtime);
  if (m) return { language: 'java', version: m[1]! };
  m = /^ruby(\d+\.\d+)$/.exec(runtime);
  if (m) return { language: 'ruby', version: m[1]! };
  return undefined;
}

const cache = new Map<string, InterpreterLookup>();

/** The interpreter that runs `runtime` (cached). nodejs and provided need none (node itself / the package's bootstrap). */
export function findInterpreter(runtime: string): InterpreterLookup {
  let found = cache.get(runtime);
  if (!found) {
    found = lookup(runtime);
    cache.set(runtime, found);
  }
  return found;
}

function lookup(runtime: string): InterpreterLookup {
  const parsed = parseRuntime(runtime);
  if (!parsed) return { ok: false, language: undefined, message: `The runtime ${runtime} is not known to Atoll.` };
  switch (parsed.language) {
    case 'nodejs':
      return { ok: true, language: 'nodejs', file: process.execPath, version: process.versions.node };
    case 'provided':
      return { ok: true, language: 'provided', file: '', version: '' };
    case 'python':
      return findPython(runtime, parsed.version);
    case 'java':
      return findJava(runtime, parsed.version);
    case 'ruby':
      return findRuby(runtime, parsed.version);
  }
}

function pathDirs(): string[] {
  return (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '' && !/[/\\]shims$/.test(d));
}

function isExecutable(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function findPython(runtime: string, version: string): InterpreterLookup {
  const name = `python${version}`;
  // pyenv's versions first (exactly X.Y.*), then a versioned binary on PATH (`python3.11`), then a
  // `python3` on PATH whose version matches. pyenv shims are skipped: they answer for the local pin.
  const pyenvRoot = process.env.PYENV_ROOT ?? join(homedir(), '.pyenv');
  const candidates: string[] = [];
  try {
    const versions = readdirSync(join(pyenvRoot, 'versions'))
      .filter((v) => v === version || v.startsWith(`${version}.`))
      .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }));
    for (const v of versions) candidates.push(join(pyenvRoot, 'versions', v, 'bin', 'python3'));
  } catch {
    // no pyenv
  }
  for (const dir of pathDirs()) candidates.push(join(dir, name));
  const file = candidates.find(isExecutable);
  if (file) return { ok: true, language: 'python', file, version };
  for (const dir of pathDirs()) {
    const python3 = join(dir, 'python3');
    if (isExecutable(python3) && versionOf(python3, ['-c', 'import sys;print("%d.%d"%sys.version_info[:2])']) === version) {
      return { ok: true, language: 'python', file: python3, version };
    }
  }
  return { ok: false, language: 'python', message: `The runtime ${runtime} needs Python ${version}, which is not installed on this machine: install it (for example \`pyenv install ${version}\` or the \`python${version}\` system package) and restart Atoll.` };
}

/** A JDK's major version from its `release` file (JAVA_VERSION="17.0.15" → 17; "1.8.0_402" → 8). */
function jdkMajor(home: string): string | undefined {
  try {
    const text = readFileSync(join(home, 'release'), 'utf8');
    const v = /^JAVA_VERSION="([^"]+)"/m.exec(text)?.[1];
    if (!v) return undefined;
    const parts = v.split('.');
    return parts[0] === '1' ? parts[1] : parts[0];
  } catch {
    return undefined;
  }
}

function findJava(runtime: string, major: string): InterpreterLookup {
  const homes: string[] = [];
  if (process.env.JAVA_HOME) homes.push(process.env.JAVA_HOME);
  for (const dir of pathDirs()) {
    const javac = join(dir, 'javac');
    if (isExecutable(javac)) {
      try {
        homes.push(dirname(dirname(realpathSync(javac))));
      } catch {
        // dangling link
      }
    }
  }
  try {
    for (const d of readdirSync('/usr/lib/jvm').sort()) homes.push(join('/usr/lib/jvm', d));
  } catch {
    // no system JDKs
  }
  for (const home of homes) {
    // A JDK (javac is needed: the bootstrap is compiled on first use), of exactly this major version.
    if (jdkMajor(home) === major && isExecutable(join(home, 'bin', 'javac')) && isExecutable(join(home, 'bin', 'java'))) {
      return { ok: true, language: 'java', file: join(home, 'bin', 'java'), version: major };
    }
  }
  return { ok: false, language: 'java', message: `The runtime ${runtime} needs a JDK ${major} (java and javac), which is not installed on this machine: install it (for example the \`openjdk-${major}-jdk-headless\` system package, or set JAVA_HOME) and restart Atoll.` };
}

function findRuby(runtime: string, version: string): InterpreterLookup {
  // An exact `ruby3.3` first, then the system `ruby`: every ruby3.x runtime runs on the installed
  // Ruby 3 whatever its minor version, as every nodejs runtime runs on the platform's node.
  const major = version.split('.')[0]!;
  for (const name of [`ruby${version}`, 'ruby']) {
    for (const dir of pathDirs()) {
      const file = join(dir, name);
      if (!isExecutable(file)) continue;
      const v = versionOf(file, ['-e', 'print RUBY_VERSION']);
      if (v && v.split('.')[0] === major) return { ok: true, language: 'ruby', file, version: v };
    }
  }
  return { ok: false, language: 'ruby', message: `The runtime ${runtime} needs Ruby ${major}.x, which is not installed on this machine: install it (for example the \`ruby\` system package: apt-get install ruby) and restart Atoll.` };
}

function versionOf(file: string, args: string[]): string | undefined {
  try {
    const out = spawnSync(file, args, { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    return out.status === 0 ? out.stdout.trim() : undefined;
  } catch {
    return undefined;
  }
}

/** The file named by `relative` beside the compiled module, or, when the build did not copy it, in the package's src tree. */
export function runtimeAsset(relative: string, moduleUrl: string): string {
  const here = dirname(fileURLToPath(moduleUrl));
  const beside = join(here, relative);
  if (existsSync(beside)) return beside;
  // dist/src/runtimes/x.js → src/runtimes/<relative>
  return join(here, '..', '..', '..', 'src', 'runtimes', relative);
}
