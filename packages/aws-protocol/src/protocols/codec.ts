// The interface each wire protocol implements: one parser and one serializer per protocol.
import type { OperationModel, ServiceModel } from '@atoll/aws-models';
import type { ServiceError } from '@atoll/core';
import type { ProtocolRequest, ProtocolResponse, ResponseContext } from '../types.js';

export interface ProtocolCodec {
  readonly name: 'json' | 'query' | 'rest-json' | 'rest-xml';
  /** Reads the operation's input from the request (URI parameters come from the router). */
  parseInput(
    model: ServiceModel,
    operation: OperationModel,
    request: ProtocolRequest,
    uriParams: Record<string, string>,
  ): Record<string, unknown>;
  serializeOutput(model: ServiceModel, operation: OperationModel, output: unknown, ctx: ResponseContext): ProtocolResponse;
  serializeError(model: ServiceModel | undefined, error: ServiceError, ctx: ResponseContext): ProtocolResponse;
}

/** The extra members of an error, serialized through the error shape when the model has one. */
export function errorShapeName(model: ServiceModel | undefined, code: string): string | undefined {
  if (!model) return undefined;
  if (model.shapes[code]?.exception || model.shapes[code]?.error) return code;
  for (const [name, shape] of Object.entries(model.shapes)) {
    if ((shape.exception || shape.error) && shape.error?.code === code) return name;
  }
  return undefined;
}
