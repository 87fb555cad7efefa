// Custom domain names, one resource seen through both models as in AWS: REST APIs' domain names
// with base path mappings (apigateway) and HTTP APIs' domain names with API mappings
// (apigatewayv2). A base path mapping is an API mapping whose key is its base path (`(none)` for
// the empty key). Domain names are unique across accounts here (the data plane matches them on the
// Host header alone); certificates are recorded, not checked (no TLS is terminated).
import type { OperationHandler, RequestContext } from '@atoll/core';
import * as v1 from '@atoll/aws-models/apigateway';
import * as v2 from '@atoll/aws-models/apigatewayv2';
import type { ApiGatewayStore, Row } from '../apigateway-store.js';
import { randomId } from '../ids.js';

type Input = Record<string, unknown>;

export interface DomainDoc {
  domainName: string;
  domainNameId: string;
  createdDate: string;
  endpointType: string;
  certificateArn?: string;
  certificateName?: string;
  regionalCertificateArn?: string;
  regionalCertificateName?: string;
  securityPolicy: string;
  tags: Record<string, string>;
}

export interface MappingDoc {
  ApiMappingId: string;
  ApiId: string;
  /** Empty: the first path segment after the key names the stage (a REST API mapping without a stage). */
  Stage: string;
  /** The base path without slashes at either end; empty for the root. */
  ApiMappingKey: string;
}

const DOMAIN = /^(?=.{1,253}$)(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{1,63}$/i;
/** Names the platform answers on itself: an IP address, `localhost`, the execute-api and AWS service hosts. */
const RESERVED = /^(\d+\.\d+\.\d+\.\d+|localhost|.*\.execute-api\..*|.*\.amazonaws\.com|(.*\.)?s3\.localhost)$/i;
const KEY = /^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/;

const now = () => new Date().toISOString();

/** The domain-name half shared by both providers: lookups and writes that tell the data plane. */
class Domains {
  constructor(
    readonly store: ApiGatewayStore,
    readonly changed: () => Promise<void>,
  ) {}

  get(ctx: RequestContext, name: string): Promise<Row<DomainDoc> | undefined> {
    return this.store.get<DomainDoc>(ctx.accountId, ctx.region, 'domainname', '', name.toLowerCase());
  }

  async create(ctx: RequestContext, doc: DomainDoc, conflict: () => Error, invalid: (m: string) => Error): Promise<DomainDoc> {
    if (!DOMAIN.test(doc.domainName) || RESERVED.test(doc.domainName)) throw invalid(`Invalid domain name identifier specified: ${doc.domainName}`);
    const name = doc.domainName.toLowerCase();
    if ((await this.store.loadDomains()).some((r) => r.kind === 'domainname' && r.id === name)) throw conflict();
    if (!(await this.store.insert({ accountId: ctx.accountId, region: ctx.region, kind: 'domainname', apiId: '', id: name, doc: { ...doc, domainName: name } }))) throw conflict();
    await this.changed();
    return { ...doc, domainName: name };
  }

  async update(row: Row<DomainDoc>, doc: DomainDoc): Promise<DomainDoc> {
    await this.store.update({ ...row, doc });
    return doc;
  }

  async delete(ctx: RequestContext, name: string): Promise<boolean> {
    const gone = await this.store.delete(ctx.accountId, ctx.region, 'domainname', '', name.toLowerCase());
    if (gone) await this.changed();
    return gone;
  }

  mappings(ctx: RequestContext, name: string): Promise<Row<MappingDoc>[]> {
    return this.store.list<MappingDoc>(ctx.accountId, ctx.region, 'apimapping', name.toLowerCase());
  }

  /** True when the API (REST or HTTP) exists in the caller's account and region. */
  async apiExists(ctx: RequestContext, apiId: string): Promise<{ kind: 'restapi' | 'httpapi' } | undefined> {
    for (const kind of ['restapi', 'httpapi'] as const) if (await this.store.get(ctx.accountId, ctx.region, kind, apiId, apiId)) return { kind };
    return undefined;
  }

  stageExists(ctx: RequestContext, apiId: string, stage: string): Promise<boolean> {
    return this.store.get(ctx.accountId, ctx.region, 'stage', apiId, stage).then(Boolean);
  }

  /** Writes a mapping (new or changed) after checking its key is free on the domain. */
  async putMapping(ctx: RequestContext, domain: string, doc: MappingDoc, existing: Row<MappingDoc> | undefined, conflict: () => Error): Promise<MappingDoc> {
    const siblings = await this.mappings(ctx, domain);
    if (siblings.some((m) => m.id !== doc.ApiMappingId && m.doc.ApiMappingKey === doc.ApiMappingKey)) throw conflict();
    if (existing) await this.store.update({ ...existing, doc });
    else await this.store.insert({ accountId: ctx.accountId, region: ctx.region, kind: 'apimapping', apiId: domain.toLowerCase(), id: doc.ApiMappingId, doc });
    await this.changed();
    return doc;
  }

  async deleteMapping(ctx: RequestContext, domain: string, id: string): Promise<void> {
    await this.store.deleteMany(ctx.accountId, ctx.region, domain.toLowerCase(), [{ kind: 'apimapping', id }]);
    await this.changed();
  }
}

function targetName(doc: DomainDoc, region: string): string {
  return doc.endpointType === 'REGIONAL' ? `d-${doc.domainNameId}.execute-api.${region}.amazonaws.com` : `d${doc.domainNameId}.cloudfront.net`;
}

function normalizeKey(raw: unknown, invalid: (m: string) => Error): string {
  const key = raw === undefined || raw === '(none)' ? '' : String(raw).replace(/^\/+|\/+$/g, '');
  if (key !== '' && !KEY.test(key)) throw invalid(`Invalid base path specified: ${String(raw)}. It may contain only a-zA-Z0-9._~- and slashes between its parts.`);
  return key;
}

/** REST APIs' view (apigateway): DomainName and BasePathMapping operations. */
export function createDomainOperationsV1(store: ApiGatewayStore, changed: () => Promise<void>): Record<string, OperationHandler> {
  const domains = new Domains(store, changed);
  const bad = (m: string) => new v1.BadRequestException(m);
  const out = (row: { doc: DomainDoc; region: string }) => {
    const d = row.doc;
    return {
      domainName: d.domainName,
      domainNameId: d.domainNameId,
      domainNameArn: `arn:aws:apigateway:${row.region}::/domainnames/${d.domainName}`,
      ...(d.certificateArn ? { certificateArn: d.certificateArn } : {}),
      ...(d.certificateName ? { certificateName: d.certificateName } : {}),
      ...(d.regionalCertificateArn ? { regionalCertificateArn: d.regionalCertificateArn } : {}),
      ...(d.regionalCertificateName ? { regionalCertificateName: d.regionalCertificateName } : {}),
      ...(d.endpointType === 'REGIONAL'
        ? { regionalDomainName: targetName(d, row.region), regionalHostedZoneId: 'Z1UJRXOUMOOFQ8' }
        : { distributionDomainName: targetName(d, row.region), distributionHostedZoneId: 'Z2FDTNDATAQYW2', certificateUploadDate: d.createdDate }),
      endpointConfiguration: { types: [d.endpointType] },
      domainNameStatus: 'AVAILABLE',
      securityPolicy: d.securityPolicy,
      tags: d.tags,
    };
  };
  const mappingOut = (m: MappingDoc) => ({ basePath: m.ApiMappingKey === '' ? '(none)' : m.ApiMappingKey, restApiId: m.ApiId, ...(m.Stage ? { stage: m.Stage } : {}) });
  async function domain(ctx: RequestContext, name: unknown): Promise<Row<DomainDoc>> {
    const row = await domains.get(ctx, String(name));
    if (!row) throw new v1.NotFoundException('Invalid domain name identifier specified');
    return row;
  }
  async function mapping(ctx: RequestContext, input: Input): Promise<Row<MappingDoc>> {
    const row = await domain(ctx, input.domainName);
    const key = normalizeKey(input.basePath, bad);
    const found = (await domains.mappings(ctx, row.id)).find((m) => m.doc.ApiMappingKey === key);
    if (!found) throw new v1.NotFoundException('Invalid base path mapping identifier specified');
    return found;
  }
  async function checkTarget(ctx: RequestContext, apiId: string, stage: string): Promise<void> {
    if ((await domains.apiExists(ctx, apiId))?.kind !== 'restapi') throw new v1.BadRequestException('Invalid REST API identifier specified');
    if (stage && !(await domains.stageExists(ctx, apiId, stage))) throw new v1.BadRequestException('Invalid stage identifier specified');
  }
  const conflict = () => new v1.ConflictException('Base path already exists for this domain name');
  return {
    async CreateDomainName(input: Input, ctx) {
      const types = (input.endpointConfiguration as { types?: string[] } | undefined)?.types ?? ['EDGE'];
      const type = types[0] ?? 'EDGE';
      if (!['EDGE', 'REGIONAL'].includes(type)) throw bad(`Invalid endpoint configuration type: ${type}. Valid options are EDGE and REGIONAL.`);
      const doc: DomainDoc = {
        domainName: String(input.domainName),
        domainNameId: randomId(10),
        createdDate: now(),
        endpointType: type,
        securityPolicy: (input.securityPolicy as string | undefined) ?? 'TLS_1_2',
        tags: (input.tags as Record<string, string> | undefined) ?? {},
      };
      for (const k of ['certificateArn', 'certificateName', 'regionalCertificateArn', 'regionalCertificateName'] as const) if (input[k] !== undefined) doc[k] = String(input[k]);
      const created = await domains.create(ctx, doc, () => new v1.ConflictException('The domain name you provided already exists.'), bad);
      return out({ doc: created, region: ctx.region });
    },
    async GetDomainName(input: Input, ctx) {
      return out(await domain(ctx, input.domainName));
    },
    async GetDomainNames(_input: Input, ctx) {
      return { items: (await store.listKind<DomainDoc>(ctx.accountId, ctx.region, 'domainname')).map(out) };
    },
    async UpdateDomainName(input: Input, ctx) {
      const row = await domain(ctx, input.domainName);
      const doc = { ...row.doc };
      for (const op of (input.patchOperations as { op?: string; path?: string; value?: string }[] | undefined) ?? []) {
        const field = String(op.path ?? '').replace(/^\//, '');
        if (!['certificateArn', 'certificateName', 'regionalCertificateArn', 'regionalCertificateName', 'securityPolicy'].includes(field)) throw bad(`Invalid patch path ${String(op.path)}`);
        if (op.op === 'remove') delete (doc as Record<string, unknown>)[field];
        else (doc as Record<string, unknown>)[field] = op.value;
      }
      return out({ doc: await domains.update(row, doc), region: row.region });
    },
    async DeleteDomainName(input: Input, ctx) {
      if (!(await domains.delete(ctx, String(input.domainName)))) throw new v1.NotFoundException('Invalid domain name identifier specified');
      return {};
    },

    async CreateBasePathMapping(input: Input, ctx) {
      const row = await domain(ctx, input.domainName);
      const key = normalizeKey(input.basePath, bad);
      const apiId = String(input.restApiId);
      const stage = input.stage === undefined ? '' : String(input.stage);
      await checkTarget(ctx, apiId, stage);
      return mappingOut(await domains.putMapping(ctx, row.id, { ApiMappingId: randomId(6), ApiId: apiId, Stage: stage, ApiMappingKey: key }, undefined, conflict));
    },
    async GetBasePathMapping(input: Input, ctx) {
      return mappingOut((await mapping(ctx, input)).doc);
    },
    async GetBasePathMappings(input: Input, ctx) {
      const row = await domain(ctx, input.domainName);
      return { items: (await domains.mappings(ctx, row.id)).map((m) => mappingOut(m.doc)) };
    },
    async UpdateBasePathMapping(input: Input, ctx) {
      const found = await mapping(ctx, input);
      const doc = { ...found.doc };
      for (const op of (input.patchOperations as { op?: string; path?: string; value?: string }[] | undefined) ?? []) {
        if (op.op !== 'replace') throw bad(`Invalid patch operation ${String(op.op)}: base path mappings take replace.`);
        if (op.path === '/basePath') doc.ApiMappingKey = normalizeKey(op.value, bad);
        else if (op.path === '/restapiId') doc.ApiId = String(op.value);
        else if (op.path === '/stage') doc.Stage = String(op.value ?? '');
        else throw bad(`Invalid patch path ${String(op.path)}`);
      }
      await checkTarget(ctx, doc.ApiId, doc.Stage);
      return mappingOut(await domains.putMapping(ctx, found.apiId, doc, found, conflict));
    },
    async DeleteBasePathMapping(input: Input, ctx) {
      const found = await mapping(ctx, input);
      await domains.deleteMapping(ctx, found.apiId, found.id);
      return {};
    },
  };
}

/** HTTP APIs' view (apigatewayv2): DomainName and ApiMapping operations. */
export function createDomainOperationsV2(store: ApiGatewayStore, changed: () => Promise<void>): Record<string, OperationHandler> {
  const domains = new Domains(store, changed);
  const bad = (m: string) => new v2.BadRequestException(m);
  const out = (row: { doc: DomainDoc; region: string }) => {
    const d = row.doc;
    return {
      DomainName: d.domainName,
      DomainNameArn: `arn:aws:apigateway:${row.region}::/domainnames/${d.domainName}`,
      ApiMappingSelectionExpression: '$request.basepath',
      DomainNameConfigurations: [
        {
          ApiGatewayDomainName: targetName(d, row.region),
          ...(d.regionalCertificateArn ?? d.certificateArn ? { CertificateArn: d.regionalCertificateArn ?? d.certificateArn } : {}),
          ...(d.regionalCertificateName ?? d.certificateName ? { CertificateName: d.regionalCertificateName ?? d.certificateName } : {}),
          DomainNameStatus: 'AVAILABLE',
          EndpointType: d.endpointType,
          HostedZoneId: d.endpointType === 'REGIONAL' ? 'Z1UJRXOUMOOFQ8' : 'Z2FDTNDATAQYW2',
          SecurityPolicy: d.securityPolicy,
        },
      ],
      Tags: d.tags,
    };
  };
  async function domain(ctx: RequestContext, name: unknown): Promise<Row<DomainDoc>> {
    const row = await domains.get(ctx, String(name));
    if (!row) throw new v2.NotFoundException('The domain name resource specified in the request was not found.', { ResourceType: 'DomainName' });
    return row;
  }
  async function mapping(ctx: RequestContext, input: Input): Promise<Row<MappingDoc>> {
    const row = await domain(ctx, input.DomainName);
    const found = await store.get<MappingDoc>(ctx.accountId, ctx.region, 'apimapping', row.id, String(input.ApiMappingId));
    if (!found) throw new v2.NotFoundException(`Invalid ApiMapping identifier specified ${ctx.accountId}:${row.id}:${String(input.ApiMappingId)}`, { ResourceType: 'ApiMapping' });
    return found;
  }
  async function checkTarget(ctx: RequestContext, apiId: string, stage: string): Promise<void> {
    if (!(await domains.apiExists(ctx, apiId))) throw new v2.NotFoundException(`Invalid API identifier specified ${ctx.accountId}:${apiId}`, { ResourceType: 'Api' });
    if (!(await domains.stageExists(ctx, apiId, stage))) throw new v2.NotFoundException(`Invalid stage identifier specified ${ctx.accountId}:${apiId}:${stage}`, { ResourceType: 'Stage' });
  }
  const conflict = () => new v2.ConflictException('ApiMapping key already exists for this domain name');
  return {
    async CreateDomainName(input: Input, ctx) {
      const config = ((input.DomainNameConfigurations as Record<string, string>[] | undefined) ?? [])[0] ?? {};
      const type = config.EndpointType ?? 'REGIONAL';
      if (!['EDGE', 'REGIONAL'].includes(type)) throw bad(`Invalid EndpointType ${type}. Valid options are EDGE and REGIONAL.`);
      const doc: DomainDoc = {
        domainName: String(input.DomainName),
        domainNameId: randomId(10),
        createdDate: now(),
        endpointType: type,
        securityPolicy: config.SecurityPolicy ?? 'TLS_1_2',
        tags: (input.Tags as Record<string, string> | undefined) ?? {},
        ...(config.CertificateArn ? { regionalCertificateArn: config.CertificateArn } : {}),
        ...(config.CertificateName ? { regionalCertificateName: config.CertificateName } : {}),
      };
      const created = await domains.create(ctx, doc, () => new v2.ConflictException(`The domain name resource already exists: ${doc.domainName}`), bad);
      return out({ doc: created, region: ctx.region });
    },
    async GetDomainName(input: Input, ctx) {
      return out(await domain(ctx, input.DomainName));
    },
    async GetDomainNames(_input: Input, ctx) {
      return { Items: (await store.listKind<DomainDoc>(ctx.accountId, ctx.region, 'domainname')).map(out) };
    },
    async UpdateDomainName(input: Input, ctx) {
      const row = await domain(ctx, input.DomainName);
      const config = ((input.DomainNameConfigurations as Record<string, string>[] | undefined) ?? [])[0];
      const doc = { ...row.doc };
      if (config?.CertificateArn) doc.regionalCertificateArn = config.CertificateArn;
      if (config?.CertificateName) doc.regionalCertificateName = config.CertificateName;
      if (config?.SecurityPolicy) doc.securityPolicy = config.SecurityPolicy;
      return out({ doc: await domains.update(row, doc), region: row.region });
    },
    async DeleteDomainName(input: Input, ctx) {
      if (!(await domains.delete(ctx, String(input.DomainName)))) {
        throw new v2.NotFoundException('The domain name resource specified in the request was not found.', { ResourceType: 'DomainName' });
      }
      return {};
    },

    async CreateApiMapping(input: Input, ctx) {
      const row = await domain(ctx, input.DomainName);
      const doc: MappingDoc = { ApiMappingId: randomId(6), ApiId: String(input.ApiId), Stage: String(input.Stage), ApiMappingKey: normalizeKey(input.ApiMappingKey, bad) };
      await checkTarget(ctx, doc.ApiId, doc.Stage);
      return domains.putMapping(ctx, row.id, doc, undefined, conflict);
    },
    async GetApiMapping(input: Input, ctx) {
      return (await mapping(ctx, input)).doc;
    },
    async GetApiMappings(input: Input, ctx) {
      const row = await domain(ctx, input.DomainName);
      return { Items: (await domains.mappings(ctx, row.id)).map((m) => m.doc) };
    },
    async UpdateApiMapping(input: Input, ctx) {
      const found = await mapping(ctx, input);
      const doc: MappingDoc = {
        ...found.doc,
        ...(input.ApiId !== undefined ? { ApiId: String(input.ApiId) } : {}),
        ...(input.Stage !== undefined ? { Stage: String(input.Stage) } : {}),
        ...(input.ApiMappingKey !== undefined ? { ApiMappingKey: normalizeKey(input.ApiMappingKey, bad) } : {}),
      };
      await checkTarget(ctx, doc.ApiId, doc.Stage);
      return domains.putMapping(ctx, found.apiId, doc, found, conflict);
    },
    async DeleteApiMapping(input: Input, ctx) {
      const found = await mapping(ctx, input);
      await domains.deleteMapping(ctx, found.apiId, found.id);
      return {};
    },
  };
}
