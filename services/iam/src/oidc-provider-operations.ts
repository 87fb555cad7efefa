// OpenID Connect identity providers, for STS's AssumeRoleWithWebIdentity (which reads them through
// GetOpenIDConnectProvider). The ARN is `arn:aws:iam::<acct>:oidc-provider/<host[:port]/path>`.
// GetOpenIDConnectProvider answers the URL without `https://`, as AWS does; an `http://` issuer
// (allowed only on 127.0.0.1 and localhost, for local testing) keeps its scheme so that STS knows it.
import type { RequestContext } from '@atoll/core';
import { EntityAlreadyExistsException, InvalidInputException, LimitExceededException } from '@atoll/aws-models/iam';
import type * as iam from '@atoll/aws-models/iam';
import type { IamDeps } from './entity-policy-operations.js';
import { checkTags, iamArn, mergeTags, noSuch, page, parseTags, removeTags, tagsOrNothing } from './iam-common.js';
import type { OidcProviderRow } from './oidc-provider-store.js';

const MAX_CLIENT_IDS = 100;
const MAX_THUMBPRINTS = 5;
const LOCAL_HTTP = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/;

const notFound = (arn: string) => noSuch(`OpenIDConnect Provider not found for arn ${arn}`);

/** The issuer URL without its trailing slash, checked: https, or http on the loopback. */
function issuerUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidInputException('Invalid Open ID Connect Provider URL');
  }
  if (!(parsed.protocol === 'https:' || LOCAL_HTTP.test(url)) || parsed.search || parsed.hash || parsed.username) {
    throw new InvalidInputException('Invalid Open ID Connect Provider URL');
  }
  return parsed;
}

const hostPath = (url: URL): string => `${url.host}${url.pathname.replace(/\/+$/, '')}`;

function checkThumbprints(list: readonly string[]): string[] {
  if (list.length > MAX_THUMBPRINTS) throw new LimitExceededException(`Cannot exceed quota for ThumbprintsPerOpenIdConnectProvider: ${MAX_THUMBPRINTS}`);
  for (const t of list) if (!/^[0-9a-fA-F]{40}$/.test(t)) throw new InvalidInputException(`Thumbprint ${t} is not a 40-character hexadecimal string.`);
  return [...list];
}

function checkClientIds(list: readonly string[]): string[] {
  if (list.length > MAX_CLIENT_IDS) throw new LimitExceededException(`Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: ${MAX_CLIENT_IDS}`);
  return [...new Set(list)];
}

export function oidcProviderOperations({ store }: IamDeps) {
  const requireProvider = async (accountId: string, arn: string): Promise<OidcProviderRow> => {
    const row = await store.oidc.get(accountId, arn);
    if (!row) throw notFound(arn);
    return row;
  };
  const changeList = async (ctx: RequestContext, arn: string, column: 'client_ids' | 'thumbprints' | 'tags', change: (list: unknown[]) => unknown[]) => {
    if ((await store.oidc.update(ctx.accountId, arn, column, change)) === undefined) throw notFound(arn);
    return {};
  };

  return {
    CreateOpenIDConnectProvider: async (input: iam.CreateOpenIDConnectProviderRequest, ctx: RequestContext): Promise<iam.CreateOpenIDConnectProviderResult> => {
      const url = issuerUrl(input.Url);
      const tags = checkTags(input.Tags);
      const row: OidcProviderRow = {
        account_id: ctx.accountId,
        arn: iamArn(ctx.accountId, `oidc-provider/${hostPath(url)}`),
        url: `${url.protocol}//${hostPath(url)}`,
        client_ids: JSON.stringify(checkClientIds(input.ClientIDList ?? [])),
        thumbprints: JSON.stringify(checkThumbprints(input.ThumbprintList ?? [])),
        create_date: new Date().toISOString(),
        tags: JSON.stringify(tags),
      };
      if (!(await store.oidc.insert(row))) throw new EntityAlreadyExistsException(`Provider with url ${input.Url} already exists.`);
      return { OpenIDConnectProviderArn: row.arn, ...tagsOrNothing(tags) };
    },

    GetOpenIDConnectProvider: async (input: iam.GetOpenIDConnectProviderRequest, ctx: RequestContext): Promise<iam.GetOpenIDConnectProviderResult> => {
      const row = await requireProvider(ctx.accountId, input.OpenIDConnectProviderArn);
      return {
        Url: row.url.startsWith('https://') ? row.url.slice('https://'.length) : row.url,
        ClientIDList: JSON.parse(row.client_ids) as string[],
        ThumbprintList: JSON.parse(row.thumbprints) as string[],
        CreateDate: new Date(row.create_date),
        ...tagsOrNothing(parseTags(row.tags)),
      };
    },

    ListOpenIDConnectProviders: async (_input: iam.ListOpenIDConnectProvidersRequest, ctx: RequestContext): Promise<iam.ListOpenIDConnectProvidersResult> => {
      return { OpenIDConnectProviderList: (await store.oidc.list(ctx.accountId)).map((r) => ({ Arn: r.arn })) };
    },

    DeleteOpenIDConnectProvider: async (input: iam.DeleteOpenIDConnectProviderRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      if (!(await store.oidc.delete(ctx.accountId, input.OpenIDConnectProviderArn))) throw notFound(input.OpenIDConnectProviderArn);
      return {};
    },

    AddClientIDToOpenIDConnectProvider: async (input: iam.AddClientIDToOpenIDConnectProviderRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      return changeList(ctx, input.OpenIDConnectProviderArn, 'client_ids', (list) => (list.includes(input.ClientID) ? list : checkClientIds([...(list as string[]), input.ClientID])));
    },

    RemoveClientIDFromOpenIDConnectProvider: async (
      input: iam.RemoveClientIDFromOpenIDConnectProviderRequest,
      ctx: RequestContext,
    ): Promise<Record<string, never>> => {
      return changeList(ctx, input.OpenIDConnectProviderArn, 'client_ids', (list) => list.filter((id) => id !== input.ClientID));
    },

    UpdateOpenIDConnectProviderThumbprint: async (
      input: iam.UpdateOpenIDConnectProviderThumbprintRequest,
      ctx: RequestContext,
    ): Promise<Record<string, never>> => {
      const thumbprints = checkThumbprints(input.ThumbprintList);
      return changeList(ctx, input.OpenIDConnectProviderArn, 'thumbprints', () => thumbprints);
    },

    TagOpenIDConnectProvider: async (input: iam.TagOpenIDConnectProviderRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      return changeList(ctx, input.OpenIDConnectProviderArn, 'tags', (list) => mergeTags(list as iam.Tag[], input.Tags));
    },

    UntagOpenIDConnectProvider: async (input: iam.UntagOpenIDConnectProviderRequest, ctx: RequestContext): Promise<Record<string, never>> => {
      return changeList(ctx, input.OpenIDConnectProviderArn, 'tags', (list) => removeTags(list as iam.Tag[], input.TagKeys));
    },

    ListOpenIDConnectProviderTags: async (
      input: iam.ListOpenIDConnectProviderTagsRequest,
      ctx: RequestContext,
    ): Promise<iam.ListOpenIDConnectProviderTagsResult> => {
      const row = await requireProvider(ctx.accountId, input.OpenIDConnectProviderArn);
      const { items, ...rest } = page(parseTags(row.tags), (t) => t.Key, input.Marker, input.MaxItems);
      return { Tags: items, ...rest };
    },
  };
}
