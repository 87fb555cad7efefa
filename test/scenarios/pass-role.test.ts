// iam:PassRole, through the SDKs: a caller handing a role to a function (CreateFunction,
// UpdateFunctionConfiguration) or to a task (RegisterTaskDefinition, RunTask with the definition's
// roles or overrides) must be allowed iam:PassRole on that role, as on AWS; IAM's own
// AddRoleToInstanceProfile is covered by services/iam/test/iam-authorization.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateFunctionCommand, LambdaClient, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { CreateClusterCommand, ECSClient, RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import AdmZip from 'adm-zip';
import { createServiceRole, startPlatform, type TestPlatform } from '@atoll/test-support';

const zip = (code: string): Buffer => {
  const archive = new AdmZip();
  archive.addFile('index.js', Buffer.from(code));
  return archive.toBuffer();
};

/** Lambda (rest-json) answers AccessDeniedException with 403; JSON-protocol services such as ECS with 400, as AWS's common errors list it. */
const passDenied = (role: string, status = 403) => (e: any) => {
  assert.match(e.name, /^AccessDenied/);
  assert.equal(e.$metadata.httpStatusCode, status);
  assert.match(e.message, new RegExp(`is not authorized to perform: iam:PassRole on resource: ${role.replace(/[/.*]/g, '\\$&')} `));
  return true;
};

describe('iam:PassRole', () => {
  let p: TestPlatform;
  let allowedRole: string;
  let otherRole: string;
  let lambdaTaskRole: string;
  let credentials: { accessKeyId: string; secretAccessKey: string };

  before(async () => {
    p = await startPlatform({ services: ['iam', 'sts', 'lambda', 'ecs'] });
    const iam = p.client(IAMClient);
    allowedRole = await createServiceRole(p, 'app-fn', { service: 'lambda.amazonaws.com' });
    otherRole = await createServiceRole(p, 'admin-fn', { service: 'lambda.amazonaws.com' });
    lambdaTaskRole = await createServiceRole(p, 'app-task', { service: 'ecs-tasks.amazonaws.com' });
    await createServiceRole(p, 'admin-task', { service: 'ecs-tasks.amazonaws.com' });
    await iam.send(new CreateUserCommand({ UserName: 'deployer' }));
    await iam.send(new PutUserPolicyCommand({
      UserName: 'deployer',
      PolicyName: 'deploy',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['lambda:*', 'ecs:*'], Resource: '*' },
          { Effect: 'Allow', Action: 'iam:PassRole', Resource: `arn:aws:iam::${p.accountId}:role/app-*` },
        ],
      }),
    }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'deployer' }))).AccessKey!;
    credentials = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
  });
  after(() => p.stop());

  test('CreateFunction and UpdateFunctionConfiguration need iam:PassRole on the execution role', async () => {
    const lambda = p.client(LambdaClient, { credentials });
    const create = (name: string, Role: string) =>
      lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role, Handler: 'index.handler', Code: { ZipFile: zip('exports.handler = async () => 1;') } }));
    await assert.rejects(create('denied-fn', otherRole), passDenied(otherRole));
    assert.equal((await create('allowed-fn', allowedRole)).Role, allowedRole);
    await assert.rejects(lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'allowed-fn', Role: otherRole })), passDenied(otherRole));
    // A change that hands no role asks nothing of iam:PassRole.
    assert.ok(await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'allowed-fn', Timeout: 5 })));
  });

  test('RegisterTaskDefinition and RunTask need iam:PassRole on the task\'s roles', async () => {
    const ecs = p.client(ECSClient, { credentials });
    const adminTask = `arn:aws:iam::${p.accountId}:role/admin-task`;
    const container = { name: 'app', image: 'process', memory: 64, command: [process.execPath, '-e', 'setTimeout(() => {}, 60000)'] };
    await assert.rejects(ecs.send(new RegisterTaskDefinitionCommand({ family: 'denied', taskRoleArn: adminTask, containerDefinitions: [container] })), passDenied(adminTask, 400));
    await assert.rejects(
      ecs.send(new RegisterTaskDefinitionCommand({ family: 'denied', executionRoleArn: adminTask, containerDefinitions: [container] })),
      passDenied(adminTask, 400),
    );
    assert.ok(await ecs.send(new RegisterTaskDefinitionCommand({ family: 'worker', taskRoleArn: lambdaTaskRole, containerDefinitions: [container] })));
    // The root registers a definition with a role the deployer may not pass: running it is refused.
    await p.client(ECSClient).send(new RegisterTaskDefinitionCommand({ family: 'admin', taskRoleArn: adminTask, containerDefinitions: [container] }));
    await ecs.send(new CreateClusterCommand({ clusterName: 'pass' }));
    await assert.rejects(ecs.send(new RunTaskCommand({ cluster: 'pass', taskDefinition: 'admin' })), passDenied(adminTask, 400));
    await assert.rejects(
      ecs.send(new RunTaskCommand({ cluster: 'pass', taskDefinition: 'worker', overrides: { taskRoleArn: adminTask } })),
      passDenied(adminTask, 400),
    );
    const run = await ecs.send(new RunTaskCommand({ cluster: 'pass', taskDefinition: 'worker:1' }));
    assert.equal(run.tasks?.length, 1);
    await ecs.send(new StopTaskCommand({ cluster: 'pass', task: run.tasks![0]!.taskArn! }));
  });
});
