// ARN helpers: building and parsing `arn:partition:service:region:account:resource`.

export interface Arn {
  partition: string;
  service: string;
  region: string;
  accountId: string;
  resource: string;
}

export function formatArn(arn: Omit<Arn, 'partition'> & { partition?: string }): string {
  return `arn:${arn.partition ?? 'aws'}:${arn.service}:${arn.region}:${arn.accountId}:${arn.resource}`;
}

/** Parses an ARN; returns undefined when the text is not one. */
export function parseArn(text: string): Arn | undefined {
  const parts = text.split(':');
  if (parts.length < 6 || parts[0] !== 'arn' || !parts[1] || !parts[2]) return undefined;
  return {
    partition: parts[1],
    service: parts[2],
    region: parts[3]!,
    accountId: parts[4]!,
    resource: parts.slice(5).join(':'),
  };
}
