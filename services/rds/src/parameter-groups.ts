// DB parameter groups: named sets of engine settings. An instance created with (or modified to) a
// group runs its engine with the group's parameters (PostgreSQL `-c name=value`, MariaDB
// `--name=value`); a changed group reaches its instances' engines at their next reboot or start
// (RDS applies dynamic parameters at once; Atoll treats every parameter as pending-reboot).
// Settings that would let a user run commands or move the engine's files or listeners are refused.
import { DBParameterGroupAlreadyExistsFault, DBParameterGroupNotFoundFault, InvalidDBParameterGroupStateFault } from '@atoll/aws-models/rds';
import type {
  CreateDBParameterGroupRequest,
  DeleteDBParameterGroupRequest,
  DescribeDBParameterGroupsRequest,
  DescribeDBParametersRequest,
  ModifyDBParameterGroupRequest,
  Tag,
} from '@atoll/aws-models/rds';
import type { RequestContext } from '@atoll/core';
import { invalidParameterValue } from './rds-errors.js';
import { RecordExistsError, type RdsStore } from './rds-store.js';
import type { EngineFamily, ParameterGroupRecord } from './records.js';

const PROTECTED = new Set([
  // PostgreSQL
  'archive_command', 'archive_library', 'restore_command', 'archive_cleanup_command', 'recovery_end_command', 'data_directory',
  'hba_file', 'ident_file', 'config_file', 'external_pid_file', 'port', 'listen_addresses', 'unix_socket_directories',
  'unix_socket_group', 'unix_socket_permissions', 'logging_collector', 'dynamic_library_path', 'local_preload_libraries',
  'session_preload_libraries', 'shared_preload_libraries', 'ssl_cert_file', 'ssl_key_file', 'ssl_ca_file', 'log_directory',
  // MariaDB
  'datadir', 'socket', 'bind_address', 'user', 'pid_file', 'init_file', 'plugin_dir', 'secure_file_priv', 'general_log_file',
  'slow_query_log_file', 'log_error', 'basedir', 'tmpdir', 'skip_grant_tables', 'init_connect',
]);

/** The engine family a parameter group family (postgres15, aurora-postgresql15, mysql8.0, mariadb10.11) configures. */
export function familyOf(groupFamily: string): EngineFamily | undefined {
  if (/^(aurora-)?postgresql\d+$|^postgres\d+$/.test(groupFamily)) return 'postgres';
  if (/^(aurora-mysql|mysql|mariadb)[\d.]+$|^aurora5\.6$/.test(groupFamily)) return 'mysql';
  return undefined;
}

const tagsOf = (tags: Tag[] | undefined) => Object.fromEntries((tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? '']));

export class ParameterGroups {
  readonly #store: RdsStore;

  constructor(store: RdsStore) {
    this.#store = store;
  }

  /** The group's record, or DBParameterGroupNotFound. Default groups (`default.*`) have no parameters. */
  async get(ctx: { accountId: string; region: string }, name: string): Promise<ParameterGroupRecord | undefined> {
    if (name.startsWith('default.')) return undefined;
    const record = await this.#store.parameterGroups.get(ctx.accountId, ctx.region, name.toLowerCase());
    if (!record) throw new DBParameterGroupNotFoundFault(`DBParameterGroup not found: ${name}`);
    return record;
  }

  async create(input: CreateDBParameterGroupRequest, ctx: RequestContext) {
    if (!familyOf(input.DBParameterGroupFamily)) throw invalidParameterValue(`ParameterGroupFamily ${input.DBParameterGroupFamily} is not a valid parameter group family`);
    if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(input.DBParameterGroupName) || input.DBParameterGroupName.endsWith('-') || input.DBParameterGroupName.includes('--')) {
      throw invalidParameterValue('The parameter DBParameterGroupName is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.');
    }
    const record: ParameterGroupRecord = {
      accountId: ctx.accountId,
      region: ctx.region,
      id: input.DBParameterGroupName.toLowerCase(),
      name: input.DBParameterGroupName,
      arn: `arn:aws:rds:${ctx.region}:${ctx.accountId}:pg:${input.DBParameterGroupName.toLowerCase()}`,
      family: input.DBParameterGroupFamily,
      description: input.Description,
      parameters: {},
      tags: tagsOf(input.Tags),
    };
    try {
      await this.#store.parameterGroups.insert(record);
    } catch (error) {
      if (error instanceof RecordExistsError) throw new DBParameterGroupAlreadyExistsFault(`Parameter group ${input.DBParameterGroupName} already exists`);
      throw error;
    }
    return { DBParameterGroup: this.shape(record) };
  }

  shape(record: ParameterGroupRecord) {
    return { DBParameterGroupName: record.name, DBParameterGroupFamily: record.family, Description: record.description, DBParameterGroupArn: record.arn };
  }

  async modify(input: ModifyDBParameterGroupRequest, ctx: RequestContext) {
    if (input.DBParameterGroupName.startsWith('default.')) throw invalidParameterValue('The parameter DBParameterGroupName cannot be a default parameter group.');
    const changes: Record<string, string | undefined> = {};
    for (const parameter of input.Parameters) {
      const name = parameter.ParameterName ?? '';
      if (!/^[A-Za-z][A-Za-z0-9_.]*$/.test(name)) throw invalidParameterValue(`Invalid parameter name: ${name}`);
      if (PROTECTED.has(name.toLowerCase().replaceAll('-', '_'))) throw invalidParameterValue(`The parameter ${name} cannot be modified.`);
      if (parameter.ApplyMethod === undefined) throw invalidParameterValue('ApplyMethod is required for each parameter (immediate or pending-reboot)');
      changes[name] = parameter.ParameterValue;
    }
    const updated = await this.#store.parameterGroups.update(ctx.accountId, ctx.region, input.DBParameterGroupName.toLowerCase(), (record) => {
      const parameters = { ...record.parameters };
      for (const [name, value] of Object.entries(changes)) {
        if (value === undefined) delete parameters[name];
        else parameters[name] = value;
      }
      return { ...record, parameters };
    });
    if (!updated) throw new DBParameterGroupNotFoundFault(`DBParameterGroup not found: ${input.DBParameterGroupName}`);
    // Instances using the group get its parameters for their next engine start.
    for (const instance of await this.#store.instances.list(ctx.accountId, ctx.region)) {
      if (instance.clusterId || instance.parameterGroupName.toLowerCase() !== updated.id) continue;
      await this.#store.instances.update(ctx.accountId, ctx.region, instance.id, (r) => ({ ...r, engine: { ...r.engine, parameters: updated.parameters } }));
    }
    return { DBParameterGroupName: updated.name };
  }

  async describe(input: DescribeDBParameterGroupsRequest, ctx: RequestContext) {
    if (input.DBParameterGroupName) {
      const record = await this.get(ctx, input.DBParameterGroupName);
      if (!record) return { DBParameterGroups: [{ DBParameterGroupName: input.DBParameterGroupName, DBParameterGroupFamily: input.DBParameterGroupName.slice(8), Description: 'Default parameter group' }] };
      return { DBParameterGroups: [this.shape(record)] };
    }
    return { DBParameterGroups: (await this.#store.parameterGroups.list(ctx.accountId, ctx.region)).map((r) => this.shape(r)) };
  }

  async parameters(input: DescribeDBParametersRequest, ctx: RequestContext) {
    const record = await this.get(ctx, input.DBParameterGroupName);
    const entries = Object.entries(record?.parameters ?? {});
    return {
      Parameters: entries.map(([ParameterName, ParameterValue]) => ({ ParameterName, ParameterValue, Source: 'user', ApplyType: 'static', ApplyMethod: 'pending-reboot', IsModifiable: true })),
    };
  }

  async delete(input: DeleteDBParameterGroupRequest, ctx: RequestContext) {
    if (input.DBParameterGroupName.startsWith('default.')) throw invalidParameterValue('Default DBParameterGroup cannot be deleted');
    const id = input.DBParameterGroupName.toLowerCase();
    const users = (await this.#store.instances.list(ctx.accountId, ctx.region)).filter((i) => i.parameterGroupName.toLowerCase() === id);
    if (users.length > 0) throw new InvalidDBParameterGroupStateFault(`One or more database instances are still members of this parameter group ${input.DBParameterGroupName}, so the group cannot be deleted`);
    if (!(await this.#store.parameterGroups.delete(ctx.accountId, ctx.region, id))) throw new DBParameterGroupNotFoundFault(`DBParameterGroup not found: ${input.DBParameterGroupName}`);
    return {};
  }
}
