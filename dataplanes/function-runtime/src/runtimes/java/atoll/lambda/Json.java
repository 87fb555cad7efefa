// A small JSON reader and writer for the Java bootstrap (the JDK has none): events become Map,
// List, String, Long or Double, Boolean and null, and are converted to the handler's parameter
// type (boxed numbers, String, Map, List, or a bean with a public no-argument constructor, filled
// through setters or public fields). Results are written from the same kinds, arrays, and beans
// (public getters, as Jackson does for the AWS runtime).
package atoll.lambda;

import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

final class Json {
    private final String s;
    private int i;

    private Json(String s) {
        this.s = s;
    }

    static Object parse(String text) {
        Json p = new Json(text);
        p.ws();
        Object v = p.value();
        p.ws();
        if (p.i != p.s.length()) throw p.error("Unexpected character");
        return v;
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException(what + " at position " + i);
    }

    private void ws() {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
    }

    private Object value() {
        if (i >= s.length()) throw error("Unexpected end of input");
        char c = s.charAt(i);
        if (c == '{') {
            i++;
            Map<String, Object> map = new LinkedHashMap<String, Object>();
            ws();
            if (peek('}')) return map;
            do {
                ws();
                if (i >= s.length() || s.charAt(i) != '"') throw error("Expected a string key");
                String key = string();
                ws();
                expect(':');
                ws();
                map.put(key, value());
                ws();
            } while (peek(','));
            expect('}');
            return map;
        }
        if (c == '[') {
            i++;
            List<Object> list = new ArrayList<Object>();
            ws();
            if (peek(']')) return list;
            do {
                ws();
                list.add(value());
                ws();
            } while (peek(','));
            expect(']');
            return list;
        }
        if (c == '"') return string();
        if (s.startsWith("true", i)) {
            i += 4;
            return Boolean.TRUE;
        }
        if (s.startsWith("false", i)) {
            i += 5;
            return Boolean.FALSE;
        }
        if (s.startsWith("null", i)) {
            i += 4;
            return null;
        }
        int start = i;
        while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
        String num = s.substring(start, i);
        if (num.isEmpty()) throw error("Unexpected character");
        if (num.indexOf('.') < 0 && num.indexOf('e') < 0 && num.indexOf('E') < 0) {
            try {
                return Long.valueOf(num);
            } catch (NumberFormatException e) {
                return Double.valueOf(num);
            }
        }
        return Double.valueOf(num);
    }

    private boolean peek(char c) {
        if (i < s.length() && s.charAt(i) == c) {
            i++;
            return true;
        }
        return false;
    }

    private void expect(char c) {
        if (!peek(c)) throw error("Expected '" + c + "'");
    }

    private String string() {
        i++;
        StringBuilder b = new StringBuilder();
        while (true) {
            if (i >= s.length()) throw error("Unterminated string");
            char c = s.charAt(i++);
            if (c == '"') return b.toString();
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = s.charAt(i++);
            switch (e) {
                case 'n': b.append('\n'); break;
                case 't': b.append('\t'); break;
                case 'r': b.append('\r'); break;
                case 'b': b.append('\b'); break;
                case 'f': b.append('\f'); break;
                case 'u':
                    b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                    i += 4;
                    break;
                default: b.append(e);
            }
        }
    }

    // ---- Writing ----------------------------------------------------------------------------

    static String write(Object value) {
        StringBuilder b = new StringBuilder();
        write(b, value, 0);
        return b.toString();
    }

    private static void write(StringBuilder b, Object v, int depth) {
        if (depth > 100) throw new IllegalArgumentException("Nesting too deep (a cycle?)");
        if (v == null) {
            b.append("null");
        } else if (v instanceof CharSequence || v instanceof Character || v instanceof Enum) {
            quote(b, v.toString());
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) b.append("null");
            else if (d == Math.rint(d) && Math.abs(d) < 1e15) b.append(String.valueOf((long) d)).append(".0");
            else b.append(String.valueOf(d));
        } else if (v instanceof Number || v instanceof Boolean) {
            b.append(v.toString());
        } else if (v instanceof Map) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                if (!first) b.append(',');
                first = false;
                quote(b, String.valueOf(e.getKey()));
                b.append(':');
                write(b, e.getValue(), depth + 1);
            }
            b.append('}');
        } else if (v instanceof Collection) {
            b.append('[');
            boolean first = true;
            for (Object o : (Collection<?>) v) {
                if (!first) b.append(',');
                first = false;
                write(b, o, depth + 1);
            }
            b.append(']');
        } else if (v.getClass().isArray()) {
            b.append('[');
            int n = Array.getLength(v);
            for (int k = 0; k < n; k++) {
                if (k > 0) b.append(',');
                write(b, Array.get(v, k), depth + 1);
            }
            b.append(']');
        } else {
            b.append('{');
            boolean first = true;
            for (Map.Entry<String, Object> e : beanProperties(v).entrySet()) {
                if (!first) b.append(',');
                first = false;
                quote(b, e.getKey());
                b.append(':');
                write(b, e.getValue(), depth + 1);
            }
            b.append('}');
        }
    }

    private static Map<String, Object> beanProperties(Object bean) {
        Map<String, Object> props = new LinkedHashMap<String, Object>();
        try {
            for (Method m : bean.getClass().getMethods()) {
                if (Modifier.isStatic(m.getModifiers()) || m.getParameterTypes().length != 0 || m.getDeclaringClass() == Object.class) continue;
                String n = m.getName();
                String prop = null;
                if (n.startsWith("get") && n.length() > 3) prop = n.substring(3);
                else if (n.startsWith("is") && n.length() > 2 && (m.getReturnType() == boolean.class || m.getReturnType() == Boolean.class)) prop = n.substring(2);
                if (prop == null) continue;
                Object value = m.invoke(bean);
                // Null properties are left out, as the AWS runtime's serializer does (NON_NULL).
                if (value != null) props.put(Character.toLowerCase(prop.charAt(0)) + prop.substring(1), value);
            }
            for (Field f : bean.getClass().getFields()) {
                if (!Modifier.isStatic(f.getModifiers()) && !props.containsKey(f.getName()) && f.get(bean) != null) props.put(f.getName(), f.get(bean));
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("Cannot serialize " + bean.getClass().getName() + ": " + e, e);
        }
        return props;
    }

    private static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
            }
        }
        b.append('"');
    }

    // ---- Conversion to the handler's parameter type ----------------------------------------------

    @SuppressWarnings({"unchecked", "rawtypes"})
    static Object convert(Object v, Type type) throws ReflectiveOperationException {
        Class<?> raw = rawClass(type);
        if (v == null) {
            if (raw.isPrimitive()) throw new IllegalArgumentException("null for primitive " + raw.getName());
            return null;
        }
        if (raw == Object.class) return v;
        if (!(type instanceof ParameterizedType) && raw.isInstance(v)) return v;
        if (raw == String.class) return v instanceof String ? v : write(v);
        if (raw == Integer.class || raw == int.class) return Integer.valueOf(((Number) v).intValue());
        if (raw == Long.class || raw == long.class) return Long.valueOf(((Number) v).longValue());
        if (raw == Double.class || raw == double.class) return Double.valueOf(((Number) v).doubleValue());
        if (raw == Float.class || raw == float.class) return Float.valueOf(((Number) v).floatValue());
        if (raw == Short.class || raw == short.class) return Short.valueOf(((Number) v).shortValue());
        if (raw == Boolean.class || raw == boolean.class) return v;
        if (raw.isEnum()) return Enum.valueOf((Class<Enum>) raw, v.toString());
        if (Map.class.isAssignableFrom(raw)) {
            Type valueType = type instanceof ParameterizedType ? ((ParameterizedType) type).getActualTypeArguments()[1] : Object.class;
            Map<String, Object> out = new LinkedHashMap<String, Object>();
            for (Map.Entry<String, Object> e : ((Map<String, Object>) v).entrySet()) out.put(e.getKey(), convert(e.getValue(), valueType));
            return out;
        }
        if (Collection.class.isAssignableFrom(raw)) {
            Type itemType = type instanceof ParameterizedType ? ((ParameterizedType) type).getActualTypeArguments()[0] : Object.class;
            List<Object> out = new ArrayList<Object>();
            for (Object o : (List<Object>) v) out.add(convert(o, itemType));
            return out;
        }
        if (v instanceof Map) {
            Object bean = raw.getDeclaredConstructor().newInstance();
            for (Map.Entry<String, Object> e : ((Map<String, Object>) v).entrySet()) setProperty(bean, e.getKey(), e.getValue());
            return bean;
        }
        throw new IllegalArgumentException("Cannot convert " + v.getClass().getSimpleName() + " to " + raw.getName());
    }

    private static void setProperty(Object bean, String name, Object value) throws ReflectiveOperationException {
        if (name.isEmpty()) return;
        String setter = "set" + Character.toUpperCase(name.charAt(0)) + name.substring(1);
        for (Method m : bean.getClass().getMethods()) {
            // Case-insensitive, as the AWS events' classes name them (eventSourceARN → setEventSourceArn).
            if (m.getName().equalsIgnoreCase(setter) && m.getParameterTypes().length == 1 && !Modifier.isStatic(m.getModifiers())) {
                m.invoke(bean, convert(value, m.getGenericParameterTypes()[0]));
                return;
            }
        }
        try {
            Field f = bean.getClass().getField(name);
            if (!Modifier.isStatic(f.getModifiers())) f.set(bean, convert(value, f.getGenericType()));
        } catch (NoSuchFieldException e) {
            // Unknown properties are ignored, as the AWS runtime's serializer does.
        }
    }

    static Class<?> rawClass(Type type) {
        if (type instanceof Class) return (Class<?>) type;
        if (type instanceof ParameterizedType) return (Class<?>) ((ParameterizedType) type).getRawType();
        return Object.class;
    }
}
