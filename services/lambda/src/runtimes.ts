// The runtime catalogue: which `Runtime` values CreateFunction and UpdateFunctionConfiguration
// accept, and the answer for the others. A managed runtime is accepted when this machine has its
// interpreter (the function data plane's lookup: Python X.Y for pythonX.Y, a JDK N for javaN, Ruby
// 3 for ruby3.x); otherwise InvalidParameterValueException names what to install. Deprecated
// runtimes get AWS's message; .NET runtimes are refused by name (Atoll has no .NET bootstrap).
import { findInterpreter } from '@atoll/function-runtime';
import { LambdaErrors } from './lambda-errors.js';

export type RuntimeFamily = 'nodejs' | 'provided' | 'python' | 'java' | 'ruby';

export interface RuntimeEntry {
  runtime: string;
  family: RuntimeFamily;
}

/** Every runtime Atoll can run, when the machine has its interpreter. */
export const RUNTIME_CATALOGUE: readonly RuntimeEntry[] = [
  ...['nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'nodejs24.x'].map((runtime) => ({ runtime, family: 'nodejs' as const })),
  ...['provided', 'provided.al2', 'provided.al2023'].map((runtime) => ({ runtime, family: 'provided' as const })),
  ...['3.9', '3.10', '3.11', '3.12', '3.13', '3.14'].map((v) => ({ runtime: `python${v}`, family: 'python' as const })),
  ...['8.al2', '11', '17', '21', '25'].map((v) => ({ runtime: `java${v}`, family: 'java' as const })),
  ...['3.2', '3.3', '3.4'].map((v) => ({ runtime: `ruby${v}`, family: 'ruby' as const })),
];

const BY_NAME = new Map(RUNTIME_CATALOGUE.map((e) => [e.runtime, e]));

/** Runtimes AWS has deprecated (creating or updating a function with them is blocked). */
export const DEPRECATED_RUNTIMES = new Set([
  'nodejs', 'nodejs4.3', 'nodejs4.3-edge', 'nodejs6.10', 'nodejs8.10', 'nodejs10.x', 'nodejs12.x', 'nodejs14.x', 'nodejs16.x',
  'python2.7', 'python3.6', 'python3.7', 'python3.8',
  'java8',
  'ruby2.5', 'ruby2.7',
  'go1.x',
  'dotnetcore1.0', 'dotnetcore2.0', 'dotnetcore2.1', 'dotnetcore3.1', 'dotnet5.0', 'dotnet6', 'dotnet7',
]);

/** Throws InvalidParameterValueException unless `runtime` is in the catalogue and its interpreter is installed. */
export function checkRuntime(runtime: unknown): void {
  const name = String(runtime);
  if (typeof runtime !== 'string') {
    throw LambdaErrors.invalidParameter(`The runtime parameter of ${name} is not supported by Atoll. Supported runtimes: ${supportedList()}.`);
  }
  if (DEPRECATED_RUNTIMES.has(runtime)) {
    // AWS's message for a runtime past its deprecation.
    throw LambdaErrors.invalidParameter(`The runtime parameter of ${runtime} is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.`);
  }
  if (runtime.startsWith('dotnet')) {
    throw LambdaErrors.invalidParameter(`The runtime parameter of ${runtime} is not supported by Atoll: it has no .NET bootstrap. Use a custom runtime (provided.al2023) with a self-contained .NET executable named bootstrap, or one of: ${supportedList()}.`);
  }
  const entry = BY_NAME.get(runtime);
  if (!entry) {
    throw LambdaErrors.invalidParameter(`The runtime parameter of ${runtime} is not supported by Atoll. Supported runtimes: ${supportedList()}.`);
  }
  const found = findInterpreter(runtime);
  if (!found.ok) throw LambdaErrors.invalidParameter(found.message);
}

function supportedList(): string {
  return RUNTIME_CATALOGUE.map((e) => e.runtime).join(', ');
}

