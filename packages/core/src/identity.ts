// What the edge needs from the identity service (IAM) to authenticate and authorize requests. Lookups
// may answer from a cache at once or read the store (a key created on another node).
import type { CallerIdentity } from './provider.js';

export interface AccessKeyCredentials {
  secretAccessKey: string;
  identity: CallerIdentity;
}

export interface IdentityDirectory {
  /** An active access key's secret and owner; undefined when the key is unknown or inactive. */
  lookupAccessKey(accessKeyId: string): AccessKeyCredentials | undefined | Promise<AccessKeyCredentials | undefined>;
  /** The identity-based policy documents (JSON text) that apply to a principal. */
  policiesFor(identity: CallerIdentity): string[] | Promise<string[]>;
}
