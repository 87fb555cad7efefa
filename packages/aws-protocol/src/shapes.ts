// Small helpers over the runtime service model: resolving references and describing shapes.
import type { ServiceModel, Shape, ShapeRef } from '@atoll/aws-models';
import { serviceError } from '@atoll/core';

export function shapeOf(model: ServiceModel, ref: ShapeRef): Shape {
  const shape = model.shapes[ref.shape];
  if (!shape) throw new Error(`model ${model.metadata.name} has no shape ${ref.shape}`);
  return shape;
}

export function isBlobLike(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

/** The SerializationException the JSON protocols answer when a value has the wrong type. */
export function serializationError(message: string) {
  return serviceError('SerializationException', 400, message);
}

export const NUMERIC_TYPES = new Set(['integer', 'long', 'float', 'double', 'bigdecimal', 'biginteger', 'byte', 'short']);
export const INTEGER_TYPES = new Set(['integer', 'long', 'biginteger', 'byte', 'short']);

/** Decodes base64 strictly (AWS refuses malformed base64). */
export function decodeBase64(text: string): Buffer | undefined {
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 4 === 1 || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean)) return undefined;
  return Buffer.from(clean, 'base64');
}

/**
 * Sets a map entry as an own property, so that a key such as `__proto__` is an entry like any
 * other instead of replacing the object's prototype.
 */
export function setEntry(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}
