// The AWS service models Atoll serves: the runtime model types, an eager catalog of routing facts
// and lazy per-service model loading. Per-service types and error classes are the subpath exports
// (`@atoll/aws-models/sqs`); everything under src/generated is written by `npm run codegen`.
import { catalog, modelLoaders } from './generated/catalog.js';
import type { ServiceCatalogEntry, ServiceModel } from './model-types.js';

export type {
  MemberLocation,
  OperationModel,
  Protocol,
  ServiceCatalogEntry,
  ServiceMetadata,
  ServiceModel,
  Shape,
  ShapeRef,
  ShapeType,
  TimestampFormat,
  XmlNamespace,
} from './model-types.js';
export { catalog };

const byName = new Map<string, ServiceCatalogEntry>(catalog.map((entry) => [entry.name, entry]));
const loaded = new Map<string, Promise<ServiceModel>>();

/** The catalog entry of a generated service, or undefined. */
export function findService(name: string): ServiceCatalogEntry | undefined {
  return byName.get(name);
}

/** Loads (once) the full model of a generated service; rejects for an unknown name. */
export function loadModel(name: string): Promise<ServiceModel> {
  let model = loaded.get(name);
  if (model === undefined) {
    const load = byName.has(name) ? modelLoaders[name] : undefined;
    if (load === undefined) return Promise.reject(new Error(`@atoll/aws-models: no generated model for service '${name}'`));
    model = load();
    loaded.set(name, model);
  }
  return model;
}
