// CloudWatch dashboards: PutDashboard, GetDashboard, ListDashboards, DeleteDashboards. Dashboards are
// global to their account (not regional), as in AWS; their ARN has no region. The body is checked
// against the parts of AWS's dashboard body structure that decide whether it renders
// (dashboard-body.ts); errors answer DashboardInvalidInputError with one validation message each.
import type { RequestContext } from '@atoll/core';
import type {
  DeleteDashboardsRequest,
  GetDashboardRequest,
  GetDashboardResult,
  ListDashboardsRequest,
  ListDashboardsResult,
  PutDashboardRequest,
  PutDashboardResult,
} from '@atoll/aws-models/cloudwatch';
import { DashboardInvalidInputError, DashboardNotFoundError, InvalidParameterValueException } from '@atoll/aws-models/cloudwatch';
import { validateDashboardBody } from './dashboard-body.js';
import type { MetricsStore } from './metrics-store.js';

const NAME = /^[A-Za-z0-9_-]{1,255}$/;
/** ListDashboards answers up to 1,000 dashboards per page, as AWS does. */
export const DASHBOARD_PAGE = 1000;

function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw new DashboardInvalidInputError('The value for field DashboardName contains invalid characters. It can only contain alphanumerics, dash (-) and underscore (_).');
  }
}

export class DashboardOperations {
  constructor(
    readonly store: MetricsStore,
    readonly pageSize = DASHBOARD_PAGE,
  ) {}

  arn(ctx: RequestContext, name: string): string {
    return `arn:aws:cloudwatch::${ctx.accountId}:dashboard/${name}`;
  }

  PutDashboard = async (input: PutDashboardRequest, ctx: RequestContext): Promise<PutDashboardResult> => {
    checkName(input.DashboardName);
    const problems = validateDashboardBody(input.DashboardBody);
    if (problems.kind === 'not-json') throw new DashboardInvalidInputError('The field DashboardBody must be a valid JSON object');
    if (problems.errors.length > 0) {
      const list = problems.errors.map((e) => ({ dataPath: e.path, message: e.message }));
      throw new DashboardInvalidInputError(`The dashboard body is invalid, there are ${list.length} validation errors:\n${JSON.stringify(list, null, 2)}`, {
        dashboardValidationMessages: problems.errors.map((e) => ({ DataPath: e.path, Message: e.message })),
      });
    }
    await this.store.putDashboard(ctx.accountId, { name: input.DashboardName, body: input.DashboardBody, modified: Date.now() });
    return { DashboardValidationMessages: [] };
  };

  GetDashboard = async (input: GetDashboardRequest, ctx: RequestContext): Promise<GetDashboardResult> => {
    const d = await this.store.getDashboard(ctx.accountId, input.DashboardName);
    if (!d) throw new DashboardNotFoundError(`Dashboard ${input.DashboardName} does not exist`);
    return { DashboardArn: this.arn(ctx, d.name), DashboardBody: d.body, DashboardName: d.name };
  };

  ListDashboards = async (input: ListDashboardsRequest, ctx: RequestContext): Promise<ListDashboardsResult> => {
    let after = '';
    if (input.NextToken !== undefined) {
      const decoded = Buffer.from(input.NextToken, 'base64url').toString('utf8');
      if (!decoded.startsWith('d:')) throw new InvalidParameterValueException('The value for parameter NextToken is invalid.');
      after = decoded.slice(2);
    }
    const prefix = input.DashboardNamePrefix ?? '';
    const rows = await this.store.listDashboards(ctx.accountId, prefix, after, this.pageSize + 1);
    const page = rows.slice(0, this.pageSize);
    return {
      DashboardEntries: page.map((d) => ({ DashboardName: d.name, DashboardArn: this.arn(ctx, d.name), LastModified: new Date(d.modified), Size: Buffer.byteLength(d.body) })),
      ...(rows.length > this.pageSize ? { NextToken: Buffer.from(`d:${page[page.length - 1]!.name}`).toString('base64url') } : {}),
    };
  };

  DeleteDashboards = async (input: DeleteDashboardsRequest, ctx: RequestContext): Promise<Record<string, never>> => {
    if (input.DashboardNames.length === 0) throw new InvalidParameterValueException('The parameter DashboardNames must contain at least one dashboard name.');
    const missing = await this.store.deleteDashboards(ctx.accountId, input.DashboardNames);
    if (missing !== undefined) throw new DashboardNotFoundError(`Dashboard ${missing} does not exist`);
    return {};
  };
}
