import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findInterpreter, parseRuntime } from './interpreters.js';

describe('runtime interpreters', () => {
  test('runtime identifiers parse into a language and a version', () => {
    assert.deepEqual(parseRuntime('python3.12'), { language: 'python', version: '3.12' });
    assert.deepEqual(parseRuntime('java8.al2'), { language: 'java', version: '8' });
    assert.deepEqual(parseRuntime('java21'), { language: 'java', version: '21' });
    assert.deepEqual(parseRuntime('ruby3.4'), { language: 'ruby', version: '3.4' });
    assert.deepEqual(parseRuntime('nodejs22.x'), { language: 'nodejs', version: '22' });
    assert.deepEqual(parseRuntime('provided.al2023'), { language: 'provided', version: '' });
    assert.equal(parseRuntime('dotnet8'), undefined);
    assert.equal(parseRuntime('python2'), undefined);
  });

  test('pythonX.Y is found under $PYENV_ROOT/versions/X.Y.*, the newest patch release first', () => {
    const root = mkdtempSync(join(tmpdir(), 'atoll-pyenv-'));
    const previous = process.env.PYENV_ROOT;
    try {
      for (const v of ['3.97.2', '3.97.10', '3.970.1']) {
        mkdirSync(join(root, 'versions', v, 'bin'), { recursive: true });
        writeFileSync(join(root, 'versions', v, 'bin', 'python3'), '#!/bin/sh\n');
        chmodSync(join(root, 'versions', v, 'bin', 'python3'), 0o755);
      }
      process.env.PYENV_ROOT = root;
      const found = findInterpreter('python3.97');
      assert.equal(found.ok, true);
      assert.equal(found.ok && found.file, join(root, 'versions', '3.97.10', 'bin', 'python3'));
      const missing = findInterpreter('python3.98');
      assert.equal(missing.ok, false);
      assert.match(!missing.ok ? missing.message : '', /needs Python 3\.98, which is not installed on this machine: install it \(for example `pyenv install 3\.98`/);
    } finally {
      if (previous === undefined) delete process.env.PYENV_ROOT;
      else process.env.PYENV_ROOT = previous;
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('a JDK of another major version does not serve javaN, and the answer names the package to install', () => {
    const missing = findInterpreter('java99');
    assert.equal(missing.ok, false);
    assert.match(!missing.ok ? missing.message : '', /needs a JDK 99 \(java and javac\).*openjdk-99-jdk-headless/);
  });

  test('nodejs runs on the platform\'s own node, whatever version the runtime names', () => {
    const found = findInterpreter('nodejs18.x');
    assert.deepEqual(found, { ok: true, language: 'nodejs', file: process.execPath, version: process.versions.node });
  });
});
