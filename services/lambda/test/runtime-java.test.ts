// The Java runtimes end to end through @aws-sdk/client-lambda: handlers implementing the
// aws-lambda-java-core interfaces (provided by the bootstrap, not bundled), a public method named
// in the handler, a stream handler, classes at the package root (a jar) or in lib/*.jar, and the
// error documents of the Java runtime. The test compiles its handlers with the machine's javac.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import AdmZip from 'adm-zip';
import { CreateFunctionCommand, InvokeCommand, LambdaClient, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { findInterpreter, JAVA_SOURCES } from '@atoll/function-runtime';
import { createLambdaRole, startPlatform, type TestPlatform } from '@atoll/test-support';
import { ROLE, decode } from './helpers.js';

const RUNTIME = 'java17';
const java = findInterpreter(RUNTIME);
const skip = java.ok ? false : `${RUNTIME} (a JDK 17) is not installed on this machine`;

let platform: TestPlatform;
let lambda: LambdaClient;
let work: string;

/** Compiles the sources against the bootstrap's interfaces (not copied: -implicit:none) and returns the class files. */
function compile(sources: Record<string, string>): Map<string, Buffer> {
  const src = join(work, `src-${Math.random().toString(36).slice(2)}`);
  const out = `${src}-classes`;
  for (const [name, text] of Object.entries(sources)) {
    mkdirSync(dirname(join(src, name)), { recursive: true });
    writeFileSync(join(src, name), text);
  }
  mkdirSync(out, { recursive: true });
  const javac = join(dirname(java.ok ? java.file : ''), 'javac');
  const result = spawnSync(javac, ['-nowarn', '-implicit:none', '-sourcepath', `${src}:${JAVA_SOURCES}`, '-d', out, ...Object.keys(sources).map((n) => join(src, n))], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  const classes = new Map<string, Buffer>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else classes.set(relative(out, path), readFileSync(path));
    }
  };
  walk(out);
  return classes;
}

function archive(files: Map<string, Buffer>): Buffer {
  const zip = new AdmZip();
  for (const [name, data] of files) zip.addFile(name, data);
  return zip.toBuffer();
}

async function create(name: string, code: Buffer, handler: string, extra: Record<string, unknown> = {}) {
  await lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: RUNTIME, Role: ROLE, Handler: handler, Code: { ZipFile: code }, Timeout: 30, MemorySize: 512, ...extra }));
}

const invoke = (name: string, payload: unknown = {}, extra: Record<string, unknown> = {}) =>
  lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)), ...extra }));
const tail = (out: InvokeCommandOutput) => Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');

describe('Java runtime', { skip }, () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'atoll-java-test-'));
    platform = await startPlatform({ services: ['lambda', 'sts', 'iam'] });
    await createLambdaRole(platform);
    lambda = platform.client(LambdaClient);
  });

  after(async () => {
    await platform?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('a RequestHandler packaged as a jar gets the event as its input type and a Context, and its result is JSON', async () => {
    const classes = compile({
      'example/Hello.java': `package example;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.util.LinkedHashMap;
import java.util.Map;
public class Hello implements RequestHandler<Map<String, Object>, Map<String, Object>> {
  public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
    context.getLogger().log("handling " + event.get("name"));
    System.out.println("printed");
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("greeting", "hello " + event.get("name"));
    out.put("count", event.get("count"));
    out.put("requestId", context.getAwsRequestId());
    out.put("function", context.getFunctionName());
    out.put("memory", context.getMemoryLimitInMB());
    out.put("remainingOk", context.getRemainingTimeInMillis() > 0 && context.getRemainingTimeInMillis() <= 30000);
    out.put("arn", context.getInvokedFunctionArn());
    return out;
  }
}`,
    });
    classes.set('META-INF/MANIFEST.MF', Buffer.from('Manifest-Version: 1.0\n'));
    assert.ok(![...classes.keys()].some((k) => k.startsWith('com/amazonaws')), 'the interfaces are not bundled');
    await create('java-hello', archive(classes), 'example.Hello::handleRequest');
    const out = await invoke('java-hello', { name: 'atoll', count: 3 }, { LogType: 'Tail' });
    assert.equal(out.FunctionError, undefined, Buffer.from(out.Payload ?? []).toString());
    const body = decode(out.Payload) as Record<string, unknown>;
    assert.equal(body.greeting, 'hello atoll');
    assert.equal(body.count, 3);
    assert.match(String(body.requestId), /^[0-9a-f-]{36}$/);
    assert.equal(body.function, 'java-hello');
    assert.equal(body.memory, 512);
    assert.equal(body.remainingOk, true);
    assert.match(String(body.arn), /:function:java-hello$/);
    const logs = tail(out);
    assert.match(logs, /START RequestId: [0-9a-f-]{36} Version: \$LATEST\n/);
    assert.match(logs, /\nhandling atoll\n/);
    assert.match(logs, /\nprinted\n/);
    assert.match(logs, /\nEND RequestId: [0-9a-f-]{36}\nREPORT RequestId: [0-9a-f-]{36}\tDuration: /);
    // Warm: the same environment answers again.
    assert.equal((decode((await invoke('java-hello', { name: 'again' })).Payload) as { greeting: string }).greeting, 'hello again');
  });

  test('a public method named in the handler, from a zip with lib/*.jar, gets a bean built from the event', async () => {
    const classes = compile({
      'shop/Order.java': `package shop;
public class Order {
  private String id; private int quantity; private double price;
  public String getId() { return id; } public void setId(String id) { this.id = id; }
  public int getQuantity() { return quantity; } public void setQuantity(int q) { this.quantity = q; }
  public double getPrice() { return price; } public void setPrice(double p) { this.price = p; }
}`,
      'shop/Receipt.java': `package shop;
public class Receipt {
  private final String orderId; private final double total;
  public Receipt(String orderId, double total) { this.orderId = orderId; this.total = total; }
  public String getOrderId() { return orderId; } public double getTotal() { return total; } public boolean isPaid() { return true; }
}`,
      'shop/Checkout.java': `package shop;
public class Checkout {
  public Receipt total(Order order) { return new Receipt(order.getId(), order.getQuantity() * order.getPrice()); }
}`,
    });
    const outer = new Map<string, Buffer>([['lib/shop.jar', archive(classes)]]);
    await create('java-pojo', archive(outer), 'shop.Checkout::total');
    const out = await invoke('java-pojo', { id: 'o-1', quantity: 3, price: 2.5, ignored: true });
    assert.equal(out.FunctionError, undefined, Buffer.from(out.Payload ?? []).toString());
    assert.deepEqual(decode(out.Payload), { orderId: 'o-1', paid: true, total: 7.5 });
  });

  test('event classes shaped like aws-lambda-java-events map by case-insensitive setters, and null properties are left out', async () => {
    const classes = compile({
      'events/SQSEvent.java': `package events;
import java.util.List;
public class SQSEvent {
  private List<SQSMessage> records;
  public List<SQSMessage> getRecords() { return records; } public void setRecords(List<SQSMessage> r) { this.records = r; }
  public static class SQSMessage {
    private String messageId; private String eventSourceArn; private String body;
    public String getMessageId() { return messageId; } public void setMessageId(String v) { messageId = v; }
    public String getEventSourceArn() { return eventSourceArn; } public void setEventSourceArn(String v) { eventSourceArn = v; }
    public String getBody() { return body; } public void setBody(String v) { body = v; }
  }
}`,
      'events/BatchResponse.java': `package events;
import java.util.ArrayList;
import java.util.List;
public class BatchResponse {
  public static class Failure { private final String id; Failure(String id) { this.id = id; } public String getItemIdentifier() { return id; } }
  private final List<Failure> failures = new ArrayList<>();
  public List<Failure> getBatchItemFailures() { return failures; }
  public String getNote() { return null; }
}`,
      'events/Consumer.java': `package events;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
public class Consumer implements RequestHandler<SQSEvent, BatchResponse> {
  public BatchResponse handleRequest(SQSEvent event, Context context) {
    BatchResponse out = new BatchResponse();
    for (SQSEvent.SQSMessage m : event.getRecords()) {
      if (m.getBody().startsWith("bad") || m.getEventSourceArn() == null) out.getBatchItemFailures().add(new BatchResponse.Failure(m.getMessageId()));
    }
    return out;
  }
}`,
    });
    await create('java-events', archive(classes), 'events.Consumer');
    const event = { Records: [
      { messageId: 'm1', body: 'good', eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q', eventSource: 'aws:sqs' },
      { messageId: 'm2', body: 'bad', eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q', eventSource: 'aws:sqs' },
    ] };
    const out = await invoke('java-events', event);
    assert.equal(out.FunctionError, undefined, Buffer.from(out.Payload ?? []).toString());
    assert.deepEqual(decode(out.Payload), { batchItemFailures: [{ itemIdentifier: 'm2' }] });
  });

  test('a RequestStreamHandler reads the raw event and writes the raw response', async () => {
    const classes = compile({
      'example/Upper.java': `package example;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.*;
import java.nio.charset.StandardCharsets;
public class Upper implements RequestStreamHandler {
  public void handleRequest(InputStream in, OutputStream out, Context context) throws IOException {
    byte[] data = in.readAllBytes();
    out.write(new String(data, StandardCharsets.UTF_8).toUpperCase().getBytes(StandardCharsets.UTF_8));
  }
}`,
    });
    await create('java-stream', archive(classes), 'example.Upper');
    const out = await invoke('java-stream', { word: 'quiet' });
    assert.equal(Buffer.from(out.Payload!).toString(), '{"WORD":"QUIET"}');
  });

  test('an exception is errorMessage, errorType and stackTrace; a missing class is ClassNotFoundException', async () => {
    const classes = compile({
      'example/Fails.java': `package example;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
public class Fails implements RequestHandler<String, String> {
  public String handleRequest(String input, Context context) {
    throw new IllegalStateException("cannot handle " + input, new RuntimeException("root cause"));
  }
}`,
    });
    await create('java-fails', archive(classes), 'example.Fails::handleRequest');
    const out = await invoke('java-fails', 'this');
    assert.equal(out.FunctionError, 'Unhandled');
    const doc = decode(out.Payload) as { errorMessage: string; errorType: string; stackTrace: string[]; cause: { errorMessage: string } };
    assert.equal(doc.errorType, 'java.lang.IllegalStateException');
    assert.equal(doc.errorMessage, 'cannot handle this');
    assert.match(doc.stackTrace[0]!, /^example\.Fails\.handleRequest\(Fails\.java:6\)$/);
    assert.ok(!doc.stackTrace.some((f) => f.startsWith('atoll.')), 'bootstrap frames are hidden');
    assert.equal(doc.cause.errorMessage, 'root cause');
    await create('java-noclass', archive(classes), 'example.Missing::handleRequest');
    const missing = decode((await invoke('java-noclass')).Payload) as { errorMessage: string; errorType: string };
    assert.deepEqual(missing, { errorMessage: 'Class not found: example.Missing', errorType: 'java.lang.ClassNotFoundException' });
    await create('java-nomethod', archive(classes), 'example.Fails::nothing');
    const noMethod = decode((await invoke('java-nomethod')).Payload) as { errorMessage: string; errorType: string };
    assert.equal(noMethod.errorMessage, 'No public method named nothing with appropriate method signature found on class example.Fails');
  });
});
