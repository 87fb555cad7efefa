// The cache parameters Atoll knows for the redis and valkey families: their defaults (ElastiCache's,
// not redis.conf's: `maxmemory-policy` is volatile-lru), types and allowed values, and how each one
// reaches the engine (`CONFIG SET` at once, or written to the config file for the next start).
// Known limitations: a subset of ElastiCache's ~70 parameters; node-type-specific parameters
// (`maxmemory`, `client-output-buffer-limit-*`) are absent, and `reserved-memory-percent` is stored only.
export interface ParameterSpec {
  name: string;
  default: string;
  dataType: 'string' | 'integer';
  allowedValues?: string;
  /** 'immediate' is applied with CONFIG SET; 'requires-reboot' only at the next start. */
  changeType: 'immediate' | 'requires-reboot';
  description: string;
  /** False: ElastiCache-only, never sent to the engine. */
  engine?: boolean;
  modifiable?: boolean;
}

const POLICIES = 'volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,allkeys-random,volatile-ttl,noeviction';

export const PARAMETERS: readonly ParameterSpec[] = [
  { name: 'activedefrag', default: 'no', dataType: 'string', allowedValues: 'yes,no', changeType: 'immediate', description: 'Enabled active memory defragmentation' },
  { name: 'appendfsync', default: 'everysec', dataType: 'string', allowedValues: 'always,everysec,no', changeType: 'immediate', description: 'fsync policy for AOF persistence' },
  { name: 'appendonly', default: 'no', dataType: 'string', allowedValues: 'yes,no', changeType: 'immediate', description: 'Enable Redis persistence.' },
  { name: 'cluster-enabled', default: 'no', dataType: 'string', allowedValues: 'yes,no', changeType: 'requires-reboot', description: 'Enable cluster mode', engine: false },
  { name: 'databases', default: '16', dataType: 'integer', allowedValues: '1-1200000', changeType: 'requires-reboot', description: 'Set the number of databases.' },
  { name: 'hash-max-listpack-entries', default: '128', dataType: 'integer', allowedValues: '0-', changeType: 'immediate', description: 'The maximum number of hash entries in order for the dataset to be compressed.' },
  { name: 'lazyfree-lazy-eviction', default: 'no', dataType: 'string', allowedValues: 'yes,no', changeType: 'immediate', description: 'Perform an asynchronous delete on evictions' },
  { name: 'lfu-decay-time', default: '1', dataType: 'integer', allowedValues: '0-', changeType: 'immediate', description: 'The amount of time in minutes to decrement the key counter for LFU eviction policy' },
  { name: 'lfu-log-factor', default: '10', dataType: 'integer', allowedValues: '1-', changeType: 'immediate', description: 'The log factor for incrementing key counter for LFU eviction policy' },
  { name: 'lua-time-limit', default: '5000', dataType: 'integer', allowedValues: '5000', changeType: 'immediate', description: 'Max execution time of a Lua script in milliseconds. 0 for unlimited execution without warnings.', modifiable: false },
  { name: 'maxclients', default: '65000', dataType: 'integer', allowedValues: '1-65000', changeType: 'requires-reboot', description: 'The maximum number of Redis clients.', modifiable: false },
  { name: 'maxmemory-policy', default: 'volatile-lru', dataType: 'string', allowedValues: POLICIES, changeType: 'immediate', description: 'Max memory policy.' },
  { name: 'maxmemory-samples', default: '3', dataType: 'integer', allowedValues: '1-', changeType: 'immediate', description: 'Max memory samples.' },
  { name: 'min-replicas-max-lag', default: '10', dataType: 'integer', allowedValues: '0-', changeType: 'immediate', description: 'The maximum amount of replica lag in seconds beyond which the master would stop taking writes.' },
  { name: 'min-replicas-to-write', default: '0', dataType: 'integer', allowedValues: '0-', changeType: 'immediate', description: 'The minimum number of replicas for the master to take writes.' },
  { name: 'notify-keyspace-events', default: '', dataType: 'string', changeType: 'immediate', description: 'The keyspace events for Redis to notify Pub/Sub clients about. By default all notifications are disabled' },
  { name: 'reserved-memory-percent', default: '25', dataType: 'integer', allowedValues: '0-100', changeType: 'immediate', description: 'The percent of memory reserved for non-cache memory usage.', engine: false },
  { name: 'set-max-intset-entries', default: '512', dataType: 'integer', allowedValues: '0-', changeType: 'immediate', description: 'The limit in the size of the set in order for the dataset to be compressed.' },
  { name: 'slowlog-log-slower-than', default: '10000', dataType: 'integer', allowedValues: '-', changeType: 'immediate', description: 'The execution time, in microseconds, to exceed in order for the command to get logged.' },
  { name: 'slowlog-max-len', default: '128', dataType: 'integer', allowedValues: '0-', changeType: 'immediate', description: 'The length of the slow log. There is no limit to this length.' },
  { name: 'tcp-keepalive', default: '300', dataType: 'integer', allowedValues: '0-', changeType: 'immediate', description: 'If non-zero, send ACKs every given number of seconds.' },
  { name: 'timeout', default: '0', dataType: 'integer', allowedValues: '0,20-', changeType: 'immediate', description: 'Close connection if client is idle for a given number of seconds, or never if 0.' },
];

const BY_NAME = new Map(PARAMETERS.map((p) => [p.name, p]));

export function parameterSpec(name: string): ParameterSpec | undefined {
  return BY_NAME.get(name);
}

/** Why a value is refused (InvalidParameterValue's message), or undefined when it is allowed. */
export function checkParameterValue(spec: ParameterSpec, value: string): string | undefined {
  if (spec.modifiable === false) return `Parameter ${spec.name} is not modifiable.`;
  const bad = `Value ${JSON.stringify(value)} for parameter ${spec.name} is invalid.`;
  if (spec.dataType === 'integer') {
    if (!/^-?\d+$/.test(value)) return `${bad} The value must be an integer.`;
    if (!spec.allowedValues) return undefined;
    const n = Number(value);
    const ok = spec.allowedValues.split(',').some((range) => {
      const m = /^(-?\d*)-(\d*)$/.exec(range);
      if (!m) return Number(range) === n;
      return (m[1] === '' || n >= Number(m[1])) && (m[2] === '' || n <= Number(m[2]));
    });
    return ok ? undefined : `${bad} Allowed values are: ${spec.allowedValues}`;
  }
  if (spec.name === 'notify-keyspace-events') return /^[KEg$lshzxetmdnA]*$/.test(value) ? undefined : `${bad} Allowed characters are: K,E,g,$,l,s,h,z,x,e,t,m,d,n,A`;
  if (spec.allowedValues && !spec.allowedValues.split(',').includes(value)) return `${bad} Allowed values are: ${spec.allowedValues}`;
  return undefined;
}

/** The effective engine settings of a parameter group: defaults overlaid with its values, engine parameters only. */
export function engineSettings(values: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of PARAMETERS) {
    if (p.engine === false || p.modifiable === false) continue;
    out[p.name] = values[p.name] ?? p.default;
  }
  return out;
}
