// Users and user groups (ElastiCache RBAC) as the engine's ACLs: a user is an `ACL SETUSER` rule
// built from its access string and passwords; a replication group with user groups has exactly
// those users (and `default` off unless the group holds it).
import type { UserRecord } from './cache-records.js';

/** The arguments of `ACL SETUSER` for a user (its name first). */
export function aclRules(user: UserRecord): string[] {
  const rules = [user.userName, 'reset'];
  rules.push(...user.accessString.split(/\s+/).filter(Boolean));
  if (user.noPasswordRequired) rules.push('nopass');
  else for (const p of user.passwords) rules.push(`>${p}`);
  return rules;
}

/** Why an access string is refused, or undefined. A light check: the engine refuses the rest when applied. */
export function checkAccessString(access: string): string | undefined {
  for (const token of access.split(/\s+/).filter(Boolean)) {
    if (!/^(on|off|~.+|%R~.+|%W~.+|%RW~.+|&.+|allkeys|allchannels|allcommands|nocommands|resetkeys|resetchannels|[+-]@?[a-z0-9|_-]+)$/i.test(token)) return `Invalid Access String: ${access}`;
  }
  return undefined;
}
