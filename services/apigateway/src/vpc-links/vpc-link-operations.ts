// VPC links: REST APIs' (to network load balancers, `targetArns`) and HTTP APIs' (to ALB/NLB
// listeners and Cloud Map services, chosen per integration). A link has no network of its own
// here (every load balancer listens on this machine), so it is AVAILABLE at once; an HTTP API
// integration with ConnectionType VPC_LINK reaches the listener its IntegrationUri names
// (data-plane/vpc-link-targets.ts), and a REST API's VPC_LINK integration the URL it names.
import type { OperationHandler, RequestContext } from '@atoll/core';
import * as v1 from '@atoll/aws-models/apigateway';
import * as v2 from '@atoll/aws-models/apigatewayv2';
import type { ApiGatewayStore, Row } from '../apigateway-store.js';
import { randomId } from '../ids.js';

type Input = Record<string, unknown>;

interface VpcLinkDoc {
  id: string;
  name: string;
  description?: string;
  targetArns?: string[];
  subnetIds?: string[];
  securityGroupIds?: string[];
  createdDate: string;
  tags: Record<string, string>;
}

function get(store: ApiGatewayStore, ctx: RequestContext, id: unknown): Promise<Row<VpcLinkDoc> | undefined> {
  return store.get<VpcLinkDoc>(ctx.accountId, ctx.region, 'vpclink', '', String(id));
}

/** Whether a VPC link exists in the caller's account and region (integrations check their ConnectionId). */
export async function vpcLinkExists(store: ApiGatewayStore, ctx: RequestContext, id: unknown): Promise<boolean> {
  return (await get(store, ctx, id)) !== undefined;
}

export function createVpcLinkOperationsV1(store: ApiGatewayStore): Record<string, OperationHandler> {
  const out = (d: VpcLinkDoc) => ({ id: d.id, name: d.name, ...(d.description ? { description: d.description } : {}), targetArns: d.targetArns ?? [], status: 'AVAILABLE', statusMessage: 'Your vpc link is ready for use', tags: d.tags });
  const found = async (ctx: RequestContext, id: unknown) => {
    const row = await get(store, ctx, id);
    if (!row) throw new v1.NotFoundException(`Invalid VPC link identifier specified`);
    return row;
  };
  return {
    async CreateVpcLink(input: Input, ctx) {
      const targets = (input.targetArns as string[] | undefined) ?? [];
      if (targets.length !== 1 || !/^arn:aws[a-z-]*:elasticloadbalancing:/.test(targets[0]!)) throw new v1.BadRequestException('A VPC link takes exactly one network load balancer ARN in targetArns.');
      const doc: VpcLinkDoc = { id: randomId(6), name: String(input.name), targetArns: targets, createdDate: new Date().toISOString(), tags: (input.tags as Record<string, string> | undefined) ?? {} };
      if (input.description !== undefined) doc.description = String(input.description);
      await store.insert({ accountId: ctx.accountId, region: ctx.region, kind: 'vpclink', apiId: '', id: doc.id, doc });
      return out(doc);
    },
    async GetVpcLink(input: Input, ctx) {
      return out((await found(ctx, input.vpcLinkId)).doc);
    },
    async GetVpcLinks(_input: Input, ctx) {
      return { items: (await store.listKind<VpcLinkDoc>(ctx.accountId, ctx.region, 'vpclink')).map((r) => out(r.doc)) };
    },
    async UpdateVpcLink(input: Input, ctx) {
      const row = await found(ctx, input.vpcLinkId);
      const doc = { ...row.doc };
      for (const op of (input.patchOperations as { op?: string; path?: string; value?: string }[] | undefined) ?? []) {
        if (op.path === '/name' && op.value) doc.name = op.value;
        else if (op.path === '/description') doc.description = op.value ?? '';
        else throw new v1.BadRequestException(`Invalid patch path ${String(op.path)}`);
      }
      await store.update({ ...row, doc });
      return out(doc);
    },
    async DeleteVpcLink(input: Input, ctx) {
      await found(ctx, input.vpcLinkId);
      await store.delete(ctx.accountId, ctx.region, 'vpclink', '', String(input.vpcLinkId));
      return {};
    },
  };
}

export function createVpcLinkOperationsV2(store: ApiGatewayStore): Record<string, OperationHandler> {
  const out = (d: VpcLinkDoc) => ({
    VpcLinkId: d.id,
    Name: d.name,
    SubnetIds: d.subnetIds ?? [],
    SecurityGroupIds: d.securityGroupIds ?? [],
    CreatedDate: d.createdDate,
    VpcLinkStatus: 'AVAILABLE',
    VpcLinkStatusMessage: 'VPC link is ready to route traffic',
    VpcLinkVersion: 'V2',
    Tags: d.tags,
  });
  const found = async (ctx: RequestContext, id: unknown) => {
    const row = await get(store, ctx, id);
    if (!row) throw new v2.NotFoundException(`Invalid VpcLink identifier specified ${ctx.accountId}:${String(id)}`, { ResourceType: 'VpcLink' });
    return row;
  };
  return {
    async CreateVpcLink(input: Input, ctx) {
      const subnets = (input.SubnetIds as string[] | undefined) ?? [];
      if (subnets.length === 0) throw new v2.BadRequestException('SubnetIds must name at least one subnet.');
      const doc: VpcLinkDoc = {
        id: randomId(6),
        name: String(input.Name),
        subnetIds: subnets,
        securityGroupIds: (input.SecurityGroupIds as string[] | undefined) ?? [],
        createdDate: new Date().toISOString(),
        tags: (input.Tags as Record<string, string> | undefined) ?? {},
      };
      await store.insert({ accountId: ctx.accountId, region: ctx.region, kind: 'vpclink', apiId: '', id: doc.id, doc });
      return out(doc);
    },
    async GetVpcLink(input: Input, ctx) {
      return out((await found(ctx, input.VpcLinkId)).doc);
    },
    async GetVpcLinks(_input: Input, ctx) {
      return { Items: (await store.listKind<VpcLinkDoc>(ctx.accountId, ctx.region, 'vpclink')).map((r) => out(r.doc)) };
    },
    async UpdateVpcLink(input: Input, ctx) {
      const row = await found(ctx, input.VpcLinkId);
      const doc = { ...row.doc, ...(input.Name !== undefined ? { name: String(input.Name) } : {}) };
      await store.update({ ...row, doc });
      return out(doc);
    },
    async DeleteVpcLink(input: Input, ctx) {
      await found(ctx, input.VpcLinkId);
      await store.delete(ctx.accountId, ctx.region, 'vpclink', '', String(input.VpcLinkId));
      return {};
    },
  };
}
