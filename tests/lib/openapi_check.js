// Holds the answers a test received to docs/openapi.yaml: each answer's
// route and method must be described, its status listed among the
// operation's responses, and its body valid against the schema documented
// for that status and content type (JSON Schema 2020-12, as OpenAPI 3.1).
//
//   node tests/lib/openapi_check.js docs/openapi.yaml DIR
//
// DIR holds the answers as tests/lib/integration.sh's keep_answer writes
// them: N.meta ("METHOD PATH STATUS CONTENT-TYPE") and N.body. Prints one
// line per mismatch and exits 1 when there is any (or no answer at all).
'use strict';

const fs = require('fs');
const YAML = require('yaml');
const Ajv2020 = require('ajv/dist/2020');

const [specFile, answersDir] = process.argv.slice(2);
const spec = YAML.parse(fs.readFileSync(specFile, 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
// The two formats the document uses, as relance writes them.
ajv.addFormat('date', /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/);
ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
ajv.addSchema(spec, 'openapi');
const problemSchema = ajv.compile({ $ref: 'openapi#/components/schemas/Problem' });

// "/api/v1/accounts/{id}/file" -> a pattern matching one segment per {name}.
const routes = Object.keys(spec.paths).map((template) => ({
  template,
  pattern: new RegExp('^' + template.replace(/[.*+?^$()|[\]\\]/g, '\\$&')
    .replace(/\{[^}]+\}/g, '[^/]+') + '$'),
}));
const pointer = (...parts) => parts.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
const validators = new Map();

function validatorFor(template, method, status, type) {
  const key = `${template} ${method} ${status} ${type}`;
  if (!validators.has(key)) {
    validators.set(key, ajv.compile({
      $ref: 'openapi#/' + pointer('paths', template, method, 'responses', status, 'content', type, 'schema'),
    }));
  }
  return validators.get(key);
}

// A response given by $ref ("#/components/responses/Problem") is read there.
function resolve(node) {
  while (node && node.$ref) {
    node = node.$ref.replace(/^#\//, '').split('/')
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((n, p) => (n ? n[p] : undefined), spec);
  }
  return node;
}

const problems = [];
let checked = 0;
const metas = fs.readdirSync(answersDir).filter((f) => f.endsWith('.meta'));
for (const meta of metas) {
  const [m, p, st, ...ct] = fs.readFileSync(`${answersDir}/${meta}`, 'utf8').trim().split(' ');
  const a = { method: m, path: p, status: st, type: ct.join(' '),
    body: fs.readFileSync(`${answersDir}/${meta.replace(/\.meta$/, '.body')}`, 'utf8') };
  const path = a.path.split('?')[0];
  const method = a.method.toLowerCase();
  const route = routes.find((r) => r.pattern.test(path) && spec.paths[r.template][method]);
  if (!route) {
    // A path or method the server does not have: 404 or 405, a problem.
    let body = null;
    try { body = JSON.parse(a.body); } catch (e) { /* reported below */ }
    if ((a.status === '404' || a.status === '405') && problemSchema(body)) checked++;
    else problems.push(`${a.method} ${path}: no such route and method in ${specFile}, ` +
      `yet answered ${a.status}`);
    continue;
  }
  const op = spec.paths[route.template][method];
  const status = String(a.status);
  const response = resolve(op.responses[status] || op.responses.default);
  if (!response) {
    problems.push(`${a.method} ${route.template}: status ${status} is not documented`);
    continue;
  }
  const type = (a.type || '').split(';')[0].trim();
  if (!response.content) {
    checked++;
    continue;
  }
  if (!response.content[type]) {
    problems.push(`${a.method} ${route.template} ${status}: content type '${type}' is not documented`);
    continue;
  }
  if (!response.content[type].schema || !/json$/.test(type)) {
    checked++;
    continue;
  }
  let body;
  try {
    body = JSON.parse(a.body);
  } catch (e) {
    problems.push(`${a.method} ${route.template} ${status}: the body is not JSON: ${e.message}`);
    continue;
  }
  // The schema of a $ref'd response lives where the reference points.
  const where = op.responses[status] || op.responses.default;
  const validate = where.$ref
    ? ajv.compile({ $ref: 'openapi' + where.$ref + '/' + pointer('content', type, 'schema') })
    : validatorFor(route.template, method, op.responses[status] ? status : 'default', type);
  if (!validate(body)) {
    problems.push(`${a.method} ${route.template} ${status}: ${ajv.errorsText(validate.errors)}` +
      ` in ${a.body.slice(0, 200)}`);
    continue;
  }
  checked++;
}
for (const p of problems) console.log(p);
console.log(`openapi: ${checked} answers match ${specFile}, ${problems.length} do not`);
process.exit(problems.length || checked === 0 ? 1 : 0);
