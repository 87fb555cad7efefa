// Values the ALB data plane writes into headers: the Date of its own responses (cached per second),
// X-Amzn-Trace-Id roots, and the stickiness cookies it reads and sets.
import { randomBytes } from 'node:crypto';

let dateText = '';
let dateSecond = 0;
export function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

// Trace ids: `Root=1-<8 hex seconds>-<24 hex>`; the 24 hex digits are a per-process random prefix
// and a counter: unique without a random draw per request.
const tracePrefix = randomBytes(8).toString('hex');
let traceCounter = 0;
export function newTraceId(): string {
  traceCounter = (traceCounter + 1) >>> 0;
  return `Root=1-${dateSecond.toString(16).padStart(8, '0')}-${tracePrefix}${traceCounter.toString(16).padStart(8, '0')}`;
}

export function readCookie(cookie: string | undefined, name: string): string | undefined {
  if (cookie === undefined) return undefined;
  let at = cookie.indexOf(`${name}=`);
  while (at > 0 && cookie[at - 1] !== ' ' && cookie[at - 1] !== ';') at = cookie.indexOf(`${name}=`, at + 1);
  if (at < 0) return undefined;
  const start = at + name.length + 1;
  const end = cookie.indexOf(';', start);
  return end < 0 ? cookie.slice(start) : cookie.slice(start, end);
}

export const cookieLine = (name: string, value: string, seconds: number): string =>
  `${name}=${value}; Expires=${new Date(Date.now() + seconds * 1000).toUTCString()}; Path=/`;
