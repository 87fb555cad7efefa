// Checks a dashboard body against AWS's dashboard body structure: a JSON object with a `widgets`
// array; each widget a known `type`, integer `x` (0–23), `y` (>= 0), `width` (1–24), `height`
// (1–1000) and a `properties` object; metric widgets' `metrics` rows of strings with an optional
// trailing options object (or a metric math expression row), text widgets' `markdown`, alarm
// widgets' `alarms`, log widgets' `query`. Messages and data paths follow AWS's
// (JSON-pointer paths, "Should …" messages).
// Known limitations: widget properties beyond those above (annotations, axes, view options) are not
// checked, and no warnings are returned.

export interface BodyProblem {
  path: string;
  message: string;
}

const WIDGET_TYPES = ['metric', 'text', 'log', 'alarm', 'explorer', 'custom'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function integerIn(errors: BodyProblem[], path: string, value: unknown, min: number, max: number | undefined): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value)) errors.push({ path, message: 'Should be integer' });
  else if (value < min) errors.push({ path, message: `Should be >= ${min}` });
  else if (max !== undefined && value > max) errors.push({ path, message: `Should be <= ${max}` });
}

function checkMetrics(errors: BodyProblem[], path: string, metrics: unknown): void {
  if (metrics === undefined) return;
  if (!Array.isArray(metrics)) {
    errors.push({ path, message: 'Should be array' });
    return;
  }
  metrics.forEach((row, i) => {
    const at = `${path}/${i}`;
    if (!Array.isArray(row)) {
      errors.push({ path: at, message: 'Should be array' });
      return;
    }
    row.forEach((field, j) => {
      // A row's last element may be its options ({ stat, label, id, expression … }).
      if (j === row.length - 1 && isObject(field)) return;
      if (typeof field !== 'string') errors.push({ path: `${at}/${j}`, message: 'Invalid metric field type, only "String" type is allowed' });
    });
  });
}

function checkWidget(errors: BodyProblem[], i: number, w: unknown): void {
  const at = `/widgets/${i}`;
  if (!isObject(w)) {
    errors.push({ path: at, message: 'Should be object' });
    return;
  }
  if (w.type === undefined) errors.push({ path: at, message: "Should have required property 'type'" });
  else if (typeof w.type !== 'string' || !WIDGET_TYPES.includes(w.type)) errors.push({ path: `${at}/type`, message: 'Should be equal to one of the allowed values' });
  integerIn(errors, `${at}/x`, w.x, 0, 23);
  integerIn(errors, `${at}/y`, w.y, 0, undefined);
  integerIn(errors, `${at}/width`, w.width, 1, 24);
  integerIn(errors, `${at}/height`, w.height, 1, 1000);
  if (w.properties === undefined) {
    errors.push({ path: at, message: "Should have required property 'properties'" });
    return;
  }
  if (!isObject(w.properties)) {
    errors.push({ path: `${at}/properties`, message: 'Should be object' });
    return;
  }
  const p = w.properties;
  switch (w.type) {
    case 'metric':
      checkMetrics(errors, `${at}/properties/metrics`, p.metrics);
      break;
    case 'text':
      if (p.markdown === undefined) errors.push({ path: `${at}/properties`, message: "Should have required property 'markdown'" });
      else if (typeof p.markdown !== 'string') errors.push({ path: `${at}/properties/markdown`, message: 'Should be string' });
      break;
    case 'alarm':
      if (p.alarms === undefined) errors.push({ path: `${at}/properties`, message: "Should have required property 'alarms'" });
      else if (!Array.isArray(p.alarms) || p.alarms.some((a) => typeof a !== 'string')) errors.push({ path: `${at}/properties/alarms`, message: 'Should be array of strings' });
      break;
    case 'log':
      if (p.query === undefined) errors.push({ path: `${at}/properties`, message: "Should have required property 'query'" });
      else if (typeof p.query !== 'string') errors.push({ path: `${at}/properties/query`, message: 'Should be string' });
      break;
  }
}

/** `not-json` when the body is not a JSON object; otherwise the structure errors (none when valid). */
export function validateDashboardBody(body: string): { kind: 'not-json' } | { kind: 'checked'; errors: BodyProblem[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return { kind: 'not-json' };
  }
  if (!isObject(doc)) return { kind: 'not-json' };
  const errors: BodyProblem[] = [];
  if (doc.widgets === undefined) errors.push({ path: '', message: "Should have required property 'widgets'" });
  else if (!Array.isArray(doc.widgets)) errors.push({ path: '/widgets', message: 'Should be array' });
  else doc.widgets.forEach((w, i) => checkWidget(errors, i, w));
  if (doc.periodOverride !== undefined && doc.periodOverride !== 'auto' && doc.periodOverride !== 'inherit') {
    errors.push({ path: '/periodOverride', message: 'Should be equal to one of the allowed values' });
  }
  return { kind: 'checked', errors };
}
