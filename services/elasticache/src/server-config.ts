// The configuration file the platform writes for one engine process: loopback only, its port and
// data directory, persistence as the parameters ask, the AUTH token, replication and cluster mode.
// Every value is quoted so that a parameter value cannot add a directive.

export interface ServerSettings {
  port: number;
  dir: string;
  /** Parameter group values for the engine (name → value). */
  parameters: Record<string, string>;
  password?: string;
  /** host:port of the primary, for a replica. */
  replicaOf?: { host: string; port: number };
  clusterMode?: boolean;
  /** Directives added verbatim (the platform's own ACL user). */
  extraLines?: string[];
}

const quote = (value: string): string => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function renderServerConfig(s: ServerSettings): string {
  const lines = [
    '# Written by Atoll (ElastiCache); changes are overwritten at the next start.',
    'bind 127.0.0.1',
    `port ${s.port}`,
    'protected-mode no',
    'daemonize no',
    `dir ${quote(s.dir)}`,
    'dbfilename dump.rdb',
    'appendfilename appendonly.aof',
    // ElastiCache takes snapshots on request (CreateSnapshot, final snapshots) and through AOF, not on a timer.
    'save ""',
    'logfile ""',
    'loglevel notice',
    // A replica of a restarted primary must be able to resync.
    'repl-diskless-sync yes',
    'repl-diskless-sync-delay 0',
  ];
  for (const [name, value] of Object.entries(s.parameters)) lines.push(`${name} ${quote(value)}`);
  if (s.password) {
    lines.push(`requirepass ${quote(s.password)}`);
    lines.push(`masterauth ${quote(s.password)}`);
  }
  if (s.replicaOf) lines.push(`replicaof ${s.replicaOf.host} ${s.replicaOf.port}`);
  if (s.clusterMode) {
    lines.push('cluster-enabled yes', 'cluster-config-file nodes.conf', 'cluster-node-timeout 2000', 'cluster-require-full-coverage no');
    // Cluster-aware clients reach every node on the loopback at its own port.
    lines.push('cluster-announce-ip 127.0.0.1');
  }
  lines.push(...(s.extraLines ?? []));
  return lines.join('\n') + '\n';
}
