// How an execution environment starts the managed runtimes other than nodejs: the interpreter
// (interpreters.ts), the bootstrap kept as a source file beside this module, and the variables each
// language reads (PYTHONPATH, RUBYLIB/GEM_PATH, the JVM's class path and heap). nodejs and
// provided runtimes are started by the execution environment itself.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FunctionSpec } from '../types.js';
import type { InvocationErrorDocument } from '../runtime-api-errors.js';
import { findInterpreter, parseRuntime, runtimeAsset } from './interpreters.js';
import { JAVA_MAIN_CLASS, javaBootstrapClasses } from './java-bootstrap.js';

export const PYTHON_BOOTSTRAP = runtimeAsset('python/bootstrap.py', import.meta.url);
export const RUBY_BOOTSTRAP = runtimeAsset('ruby/bootstrap.rb', import.meta.url);

export interface LaunchPlan {
  file: string;
  args: string[];
  /** Variables of this language, set before the function's own. */
  env: Record<string, string>;
  /** LAMBDA_RUNTIME_DIR: where the bootstrap lives. */
  runtimeDir: string;
}

export interface LaunchOptions {
  optDir?: string;
  scratchDir: string;
  /** Where compiled bootstraps are cached (the Java bootstrap's classes). */
  cacheDir: string;
}

/** The launch plan of a python, java or ruby runtime; undefined for nodejs and provided. */
export async function managedLaunch(spec: FunctionSpec, options: LaunchOptions): Promise<LaunchPlan | { error: InvocationErrorDocument } | undefined> {
  const parsed = parseRuntime(spec.runtime);
  if (!parsed || parsed.language === 'nodejs' || parsed.language === 'provided') return undefined;
  const found = findInterpreter(spec.runtime);
  if (!found.ok) return { error: { errorType: 'Runtime.InvalidEntrypoint', errorMessage: found.message } };
  const opt = options.optDir;
  switch (parsed.language) {
    case 'python': {
      // Bytecode of the runtime and of the function's modules is cached in the data directory
      // (the task root is left unwritten, as Lambda's read-only /var/task is).
      const env: Record<string, string> = { PYTHONPYCACHEPREFIX: join(options.cacheDir, 'python-pycache') };
      // The layers' directories as in Lambda's /opt/python; the bootstrap puts the task root first.
      if (opt) env.PYTHONPATH = [join(opt, 'python', 'lib', `python${parsed.version}`, 'site-packages'), join(opt, 'python')].join(':');
      return { file: found.file, args: ['-u', PYTHON_BOOTSTRAP], env, runtimeDir: dirname(PYTHON_BOOTSTRAP) };
    }
    case 'ruby': {
      const rubyVersion = found.version.split('.').slice(0, 2).join('.');
      const env: Record<string, string> = { RUBYLIB: [spec.codeDir, ...(opt ? [join(opt, 'ruby', 'lib')] : [])].join(':') };
      // Bundled gems (`bundle config set --local path vendor/bundle`) first, then the layers', as in Lambda.
      env.GEM_PATH = [join(spec.codeDir, 'vendor', 'bundle', 'ruby', `${rubyVersion}.0`), ...(opt ? [join(opt, 'ruby', 'gems', `${rubyVersion}.0`)] : [])].join(':');
      return { file: found.file, args: ['--disable-did_you_mean', RUBY_BOOTSTRAP], env, runtimeDir: dirname(RUBY_BOOTSTRAP) };
    }
    case 'java': {
      let classes: string;
      try {
        classes = await javaBootstrapClasses(found.file, options.cacheDir);
      } catch (error) {
        return { error: { errorType: 'Runtime.InvalidEntrypoint', errorMessage: `The Java bootstrap did not compile: ${(error as Error).message}` } };
      }
      // The bootstrap (with the aws-lambda-java-core interfaces) first, as in Lambda, then the
      // package's classes (a jar's or a zip's root), its lib/*.jar, and the layers' java/lib/*.jar.
      const classPath = [classes, spec.codeDir, join(spec.codeDir, 'lib', '*')];
      if (opt && existsSync(join(opt, 'java', 'lib'))) classPath.push(join(opt, 'java', 'lib', '*'));
      const heapMb = Math.max(32, Math.floor(spec.memorySizeMb * 0.85));
      const args = [
        '-XX:+TieredCompilation', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xshare:auto',
        `-Xmx${heapMb}m`, `-Djava.io.tmpdir=${options.scratchDir}`, '-Dfile.encoding=UTF-8',
        '-cp', classPath.join(':'), JAVA_MAIN_CLASS,
      ];
      return { file: found.file, args, env: {}, runtimeDir: classes };
    }
  }
}
