// OpenID Connect identity providers (issuer URL, audiences, thumbprints, tags), keyed by (account,
// ARN). STS reads them through IAM's public operations, never this table.
import type { StoreDatabase } from '@atoll/core';

export interface OidcProviderRow {
  account_id: string;
  arn: string;
  /** The issuer URL as registered (`https://…`). */
  url: string;
  /** JSON text: string[]. */
  client_ids: string;
  /** JSON text: string[]. */
  thumbprints: string;
  create_date: string;
  tags: string;
}

export class OidcProviderStore {
  readonly #db: StoreDatabase;

  constructor(db: StoreDatabase) {
    this.#db = db;
  }

  async insert(row: OidcProviderRow): Promise<boolean> {
    const { changes } = await this.#db.run(
      `INSERT INTO oidc_providers (account_id, arn, url, client_ids, thumbprints, create_date, tags) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [row.account_id, row.arn, row.url, row.client_ids, row.thumbprints, row.create_date, row.tags],
    );
    return changes === 1;
  }

  get(accountId: string, arn: string): Promise<OidcProviderRow | undefined> {
    return this.#db.get<OidcProviderRow>('SELECT * FROM oidc_providers WHERE account_id = ? AND arn = ?', [accountId, arn]);
  }

  list(accountId: string): Promise<OidcProviderRow[]> {
    return this.#db.all<OidcProviderRow>('SELECT * FROM oidc_providers WHERE account_id = ? ORDER BY arn', [accountId]);
  }

  async delete(accountId: string, arn: string): Promise<boolean> {
    const { changes } = await this.#db.run('DELETE FROM oidc_providers WHERE account_id = ? AND arn = ?', [accountId, arn]);
    return changes === 1;
  }

  /**
   * Changes one JSON-list column in one transaction (read, change, write): the client ids or the
   * thumbprints. Returns the new list, or undefined when the provider does not exist.
   */
  update(accountId: string, arn: string, column: 'client_ids' | 'thumbprints' | 'tags', change: (list: unknown[]) => unknown[]): Promise<unknown[] | undefined> {
    return this.#db.transaction(async (tx) => {
      const row = await tx.get<Record<string, string>>(`SELECT ${column} AS list FROM oidc_providers WHERE account_id = ? AND arn = ?${this.#db.dialect.forUpdate}`, [accountId, arn]);
      if (!row) return undefined;
      const next = change(JSON.parse(row['list']!) as unknown[]);
      await tx.run(`UPDATE oidc_providers SET ${column} = ? WHERE account_id = ? AND arn = ?`, [JSON.stringify(next), accountId, arn]);
      return next;
    });
  }
}
