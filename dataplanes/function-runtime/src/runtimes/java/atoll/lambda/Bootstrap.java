// Atoll's Java runtime bootstrap: a Lambda Runtime API client loop. It loads the handler named by
// _HANDLER (`package.Class::method` or `package.Class`), which implements RequestHandler or
// RequestStreamHandler or has a public method taking (input[, Context]) or (InputStream,
// OutputStream[, Context]); converts the JSON event to the input type; and posts the JSON result
// or an error document in the Java runtime's shape (errorMessage, errorType, stackTrace, cause).
// It speaks HTTP/1.1 over one kept-alive socket: the JDK's HTTP clients cost more to load than a
// whole invocation. Java 8 syntax, so that every javaN runtime can compile it.
package atoll.lambda;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

public final class Bootstrap {
    private static String host;
    private static int port;
    private static Socket socket;
    private static InputStream in;
    private static OutputStream out;
    private static final PrintStream stdout = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true);

    /** How the handler is called. */
    private static final class Handler {
        Object target;
        Method method;
        boolean stream;
        boolean withContext;
        Type inputType;
        int arity;
    }

    static final class Response {
        int status;
        Map<String, String> headers = new HashMap<String, String>();
        byte[] body;
    }

    public static void main(String[] args) throws Exception {
        System.setOut(stdout);
        String api = env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001");
        int colon = api.lastIndexOf(':');
        host = api.substring(0, colon);
        port = Integer.parseInt(api.substring(colon + 1));
        Handler handler;
        try {
            handler = load(env("_HANDLER", ""));
        } catch (Throwable t) {
            Throwable e = unwrap(t);
            Map<String, Object> doc = e instanceof HandlerError ? ((HandlerError) e).document() : errorDocument(e);
            logError(e, doc);
            call("POST", "/init/error", Json.write(doc).getBytes(StandardCharsets.UTF_8), String.valueOf(doc.get("errorType")));
            System.exit(1);
            return;
        }
        while (true) invokeOnce(handler);
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? fallback : v;
    }

    // ---- Handler loading ----------------------------------------------------------------------

    /** An init or invoke failure with a fixed error type and message (no stack trace). */
    static final class HandlerError extends RuntimeException {
        final String type;

        HandlerError(String type, String message) {
            super(message);
            this.type = type;
        }

        Map<String, Object> document() {
            Map<String, Object> doc = new LinkedHashMap<String, Object>();
            doc.put("errorMessage", getMessage());
            doc.put("errorType", type);
            return doc;
        }
    }

    private static Handler load(String spec) throws Exception {
        String className = spec;
        String methodName = null;
        int sep = spec.indexOf("::");
        if (sep >= 0) {
            className = spec.substring(0, sep);
            methodName = spec.substring(sep + 2);
        }
        if (className.isEmpty()) throw new HandlerError("java.lang.IllegalArgumentException", "Invalid handler: '" + spec + "'");
        Class<?> cls;
        try {
            cls = Class.forName(className, true, Bootstrap.class.getClassLoader());
        } catch (ClassNotFoundException | NoClassDefFoundError e) {
            throw new HandlerError("java.lang.ClassNotFoundException", "Class not found: " + className);
        }
        Handler h = new Handler();
        if (methodName == null || methodName.equals("handleRequest")) {
            if (RequestStreamHandler.class.isAssignableFrom(cls)) {
                h.method = RequestStreamHandler.class.getMethod("handleRequest", InputStream.class, OutputStream.class, Context.class);
                h.stream = true;
                h.withContext = true;
                h.arity = 3;
            } else if (RequestHandler.class.isAssignableFrom(cls)) {
                for (Method m : cls.getMethods()) {
                    if (m.getName().equals("handleRequest") && !m.isBridge() && m.getParameterTypes().length == 2 && m.getParameterTypes()[1] == Context.class) {
                        h.method = m;
                        h.inputType = m.getGenericParameterTypes()[0];
                    }
                }
                if (h.method == null) {
                    h.method = RequestHandler.class.getMethod("handleRequest", Object.class, Context.class);
                    h.inputType = Object.class;
                }
                h.withContext = true;
                h.arity = 2;
            } else if (methodName == null) {
                throw new HandlerError("java.lang.IllegalArgumentException", "Class " + className + " does not implement RequestHandler or RequestStreamHandler; name a method as " + className + "::method");
            }
        }
        if (h.method == null) {
            String name = methodName == null ? "handleRequest" : methodName;
            Method best = null;
            for (Method m : cls.getMethods()) {
                if (!m.getName().equals(name) || m.isBridge()) continue;
                Class<?>[] p = m.getParameterTypes();
                boolean ok = p.length == 0 || p.length == 1 && p[0] != Context.class || p.length == 2 && p[1] == Context.class
                        || p.length == 2 && p[0] == InputStream.class && p[1] == OutputStream.class
                        || p.length == 3 && p[0] == InputStream.class && p[1] == OutputStream.class && p[2] == Context.class;
                if (ok && (best == null || p.length > best.getParameterTypes().length)) best = m;
            }
            if (best == null) {
                throw new HandlerError("java.lang.RuntimeException", "No public method named " + name + " with appropriate method signature found on class " + className);
            }
            Class<?>[] p = best.getParameterTypes();
            h.method = best;
            h.arity = p.length;
            h.stream = p.length >= 2 && p[0] == InputStream.class && p[1] == OutputStream.class;
            h.withContext = p.length > 0 && p[p.length - 1] == Context.class;
            h.inputType = p.length > 0 && !h.stream && p[0] != Context.class ? best.getGenericParameterTypes()[0] : null;
        }
        if (!Modifier.isStatic(h.method.getModifiers())) {
            try {
                h.target = cls.getDeclaredConstructor().newInstance();
            } catch (NoSuchMethodException e) {
                throw new HandlerError("java.lang.RuntimeException", "Class " + className + " has no public no-argument constructor");
            }
        }
        h.method.setAccessible(true);
        return h;
    }

    // ---- Invocation ---------------------------------------------------------------------------

    private static void invokeOnce(Handler h) throws IOException {
        Response next = call("GET", "/invocation/next", null, null);
        if (next.status != 200) throw new IOException("Runtime API /next answered " + next.status);
        final String requestId = header(next, "lambda-runtime-aws-request-id", "");
        String deadlineText = header(next, "lambda-runtime-deadline-ms", "");
        final long deadline = deadlineText.isEmpty() ? System.currentTimeMillis() + 3000 : Long.parseLong(deadlineText);
        final String arn = header(next, "lambda-runtime-invoked-function-arn", "");
        final String traceId = header(next, "lambda-runtime-trace-id", "");
        if (!traceId.isEmpty()) System.setProperty("com.amazonaws.xray.traceHeader", traceId);
        else System.clearProperty("com.amazonaws.xray.traceHeader");
        Context context = new InvocationContext(requestId, deadline, arn, traceId, header(next, "lambda-runtime-cognito-identity", ""), header(next, "lambda-runtime-client-context", ""));
        byte[] result;
        try {
            result = run(h, next.body, context);
        } catch (Throwable t) {
            Throwable e = unwrap(t);
            if (e instanceof Error && !(e instanceof StackOverflowError) && !(e instanceof NoClassDefFoundError) && !(e instanceof ExceptionInInitializerError)) {
                // OutOfMemoryError and other VM errors: the environment is not trusted any more.
                Map<String, Object> doc = errorDocument(e);
                logError(e, doc);
                call("POST", "/invocation/" + requestId + "/error", Json.write(doc).getBytes(StandardCharsets.UTF_8), String.valueOf(doc.get("errorType")));
                System.exit(1);
            }
            Map<String, Object> doc = e instanceof HandlerError ? ((HandlerError) e).document() : errorDocument(e);
            logError(e, doc);
            System.out.flush();
            call("POST", "/invocation/" + requestId + "/error", Json.write(doc).getBytes(StandardCharsets.UTF_8), String.valueOf(doc.get("errorType")));
            return;
        }
        System.out.flush();
        System.err.flush();
        call("POST", "/invocation/" + requestId + "/response", result, null);
    }

    private static byte[] run(Handler h, byte[] body, Context context) throws Throwable {
        Object[] args = new Object[h.arity];
        ByteArrayOutputStream output = null;
        if (h.stream) {
            output = new ByteArrayOutputStream();
            args[0] = new ByteArrayInputStream(body);
            args[1] = output;
        } else if (h.inputType != null) {
            Object event;
            try {
                String text = new String(body, StandardCharsets.UTF_8).trim();
                event = text.isEmpty() ? null : Json.parse(text);
                event = Json.convert(event, h.inputType);
            } catch (Exception e) {
                throw new HandlerError("java.lang.RuntimeException", "An error occurred during JSON parsing: " + e.getMessage());
            }
            args[0] = event;
        }
        if (h.withContext) args[h.arity - 1] = context;
        Object value;
        try {
            value = h.method.invoke(h.target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
        if (h.stream) return output.toByteArray();
        if (h.method.getReturnType() == void.class) return "null".getBytes(StandardCharsets.UTF_8);
        try {
            return Json.write(value).getBytes(StandardCharsets.UTF_8);
        } catch (RuntimeException e) {
            throw new HandlerError("java.lang.RuntimeException", "An error occurred during JSON serialization of response: " + e.getMessage());
        }
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof InvocationTargetException || t instanceof ExceptionInInitializerError) && t.getCause() != null) t = t.getCause();
        return t;
    }

    static Map<String, Object> errorDocument(Throwable e) {
        Map<String, Object> doc = new LinkedHashMap<String, Object>();
        doc.put("errorMessage", e.getMessage() == null ? e.getClass().getName() : e.getMessage());
        doc.put("errorType", e.getClass().getName());
        List<String> trace = new ArrayList<String>();
        for (StackTraceElement f : e.getStackTrace()) {
            String c = f.getClassName();
            if (c.startsWith("atoll.lambda.") || c.startsWith("jdk.internal.reflect.") || c.startsWith("sun.reflect.") || c.equals("java.lang.reflect.Method")) continue;
            trace.add(f.toString());
        }
        doc.put("stackTrace", trace);
        if (e.getCause() != null && e.getCause() != e) doc.put("cause", errorDocument(e.getCause()));
        return doc;
    }

    private static void logError(Throwable e, Map<String, Object> doc) {
        StringBuilder b = new StringBuilder();
        b.append(doc.get("errorMessage")).append(": ").append(doc.get("errorType"));
        if (!(e instanceof HandlerError)) {
            java.io.StringWriter w = new java.io.StringWriter();
            e.printStackTrace(new java.io.PrintWriter(w));
            b.append('\n').append(w.toString().trim());
        }
        record(b.toString());
    }

    /** One log record: newlines inside it travel as `\r`, which the platform turns back into newlines. */
    static void record(String text) {
        while (text.endsWith("\n")) text = text.substring(0, text.length() - 1);
        stdout.print(text.replace('\n', '\r') + "\n");
        stdout.flush();
    }

    private static String header(Response r, String name, String fallback) {
        String v = r.headers.get(name);
        return v == null ? fallback : v;
    }

    // ---- Context ------------------------------------------------------------------------------

    static final class InvocationContext implements Context {
        private final String requestId;
        private final long deadline;
        private final String arn;
        private final String traceId;
        private final CognitoIdentity identity;
        private final ClientContext clientContext;

        InvocationContext(String requestId, long deadline, String arn, String traceId, String identityJson, String clientContextJson) {
            this.requestId = requestId;
            this.deadline = deadline;
            this.arn = arn;
            this.traceId = traceId;
            final Map<String, Object> id = jsonObject(identityJson);
            this.identity = new CognitoIdentity() {
                public String getIdentityId() {
                    return id == null ? "" : String.valueOf(id.get("cognitoIdentityId"));
                }

                public String getIdentityPoolId() {
                    return id == null ? "" : String.valueOf(id.get("cognitoIdentityPoolId"));
                }
            };
            final Map<String, Object> cc = jsonObject(clientContextJson);
            this.clientContext = cc == null ? null : new MobileClientContext(cc);
        }

        public String getAwsRequestId() {
            return requestId;
        }

        public String getLogGroupName() {
            return System.getenv("AWS_LAMBDA_LOG_GROUP_NAME");
        }

        public String getLogStreamName() {
            return System.getenv("AWS_LAMBDA_LOG_STREAM_NAME");
        }

        public String getFunctionName() {
            return System.getenv("AWS_LAMBDA_FUNCTION_NAME");
        }

        public String getFunctionVersion() {
            return System.getenv("AWS_LAMBDA_FUNCTION_VERSION");
        }

        public String getInvokedFunctionArn() {
            return arn;
        }

        public CognitoIdentity getIdentity() {
            return identity;
        }

        public ClientContext getClientContext() {
            return clientContext;
        }

        public int getRemainingTimeInMillis() {
            return (int) Math.max(0, deadline - System.currentTimeMillis());
        }

        public int getMemoryLimitInMB() {
            return Integer.parseInt(env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"));
        }

        public String getXrayTraceId() {
            return traceId.isEmpty() ? null : traceId;
        }

        public LambdaLogger getLogger() {
            return LOGGER;
        }
    }

    static final LambdaLogger LOGGER = new LambdaLogger() {
        public void log(String message) {
            record(String.valueOf(message));
        }

        public void log(byte[] message) {
            record(new String(message, StandardCharsets.UTF_8));
        }
    };

    @SuppressWarnings("unchecked")
    private static Map<String, Object> jsonObject(String text) {
        if (text == null || text.isEmpty()) return null;
        try {
            Object v = Json.parse(text);
            return v instanceof Map ? (Map<String, Object>) v : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    static final class MobileClientContext implements ClientContext {
        private final Map<String, Object> data;

        MobileClientContext(Map<String, Object> data) {
            this.data = data;
        }

        @SuppressWarnings("unchecked")
        public com.amazonaws.services.lambda.runtime.Client getClient() {
            final Object c = data.get("client");
            if (!(c instanceof Map)) return null;
            final Map<String, Object> m = (Map<String, Object>) c;
            return new com.amazonaws.services.lambda.runtime.Client() {
                public String getInstallationId() {
                    return (String) m.get("installation_id");
                }

                public String getAppTitle() {
                    return (String) m.get("app_title");
                }

                public String getAppVersionName() {
                    return (String) m.get("app_version_name");
                }

                public String getAppVersionCode() {
                    return (String) m.get("app_version_code");
                }

                public String getAppPackageName() {
                    return (String) m.get("app_package_name");
                }
            };
        }

        public Map<String, String> getCustom() {
            return strings(data.get("custom"));
        }

        public Map<String, String> getEnvironment() {
            return strings(data.get("env"));
        }

        private static Map<String, String> strings(Object v) {
            Map<String, String> out = new HashMap<String, String>();
            if (v instanceof Map) for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) out.put(String.valueOf(e.getKey()), String.valueOf(e.getValue()));
            return out;
        }
    }

    // ---- HTTP ---------------------------------------------------------------------------------

    static Response call(String method, String path, byte[] body, String errorType) throws IOException {
        StringBuilder head = new StringBuilder();
        head.append(method).append(" /2018-06-01/runtime").append(path).append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
        if (body != null) head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
        if (errorType != null) head.append("Lambda-Runtime-Function-Error-Type: ").append(errorType).append("\r\n");
        head.append("\r\n");
        byte[] headBytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
        for (int attempt = 0; ; attempt++) {
            try {
                if (socket == null) {
                    socket = new Socket(host, port);
                    socket.setTcpNoDelay(true);
                    in = new BufferedInputStream(socket.getInputStream(), 65536);
                    out = socket.getOutputStream();
                }
                out.write(headBytes);
                if (body != null) out.write(body);
                out.flush();
                return read();
            } catch (IOException e) {
                close();
                if (attempt > 0) throw e;
            }
        }
    }

    private static Response read() throws IOException {
        Response r = new Response();
        String status = line();
        if (status == null) throw new IOException("Runtime API closed the connection");
        r.status = Integer.parseInt(status.split(" ")[1]);
        String l;
        while ((l = line()) != null && !l.isEmpty()) {
            int c = l.indexOf(':');
            if (c > 0) r.headers.put(l.substring(0, c).trim().toLowerCase(), l.substring(c + 1).trim());
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        if ("chunked".equalsIgnoreCase(r.headers.get("transfer-encoding"))) {
            while (true) {
                String sizeLine = line();
                int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
                if (size == 0) {
                    line();
                    break;
                }
                copy(buf, size);
                line();
            }
        } else {
            String length = r.headers.get("content-length");
            copy(buf, length == null ? 0 : Integer.parseInt(length));
        }
        r.body = buf.toByteArray();
        if ("close".equalsIgnoreCase(r.headers.get("connection"))) close();
        return r;
    }

    private static void copy(ByteArrayOutputStream buf, int size) throws IOException {
        byte[] chunk = new byte[Math.min(Math.max(size, 1), 65536)];
        while (size > 0) {
            int n = in.read(chunk, 0, Math.min(chunk.length, size));
            if (n < 0) throw new IOException("Runtime API closed the connection");
            buf.write(chunk, 0, n);
            size -= n;
        }
    }

    private static String line() throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                int n = b.length();
                if (n > 0 && b.charAt(n - 1) == '\r') b.setLength(n - 1);
                return b.toString();
            }
            b.append((char) c);
        }
        return b.length() == 0 ? null : b.toString();
    }

    private static void close() {
        try {
            if (socket != null) socket.close();
        } catch (IOException e) {
            // already gone
        }
        socket = null;
    }
}
